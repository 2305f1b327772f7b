# Every Pincer target gets these; third-party headers are included as system headers.
add_library(pincer_warnings INTERFACE)
target_compile_options(pincer_warnings INTERFACE
  -Wall -Wextra -Werror -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wcast-align
  -Wimplicit-fallthrough -Wno-missing-field-initializers
  # GCC 12 at -O3 reports std::string concatenation as overflowing (GCC bugs 105329, 105651);
  # these are false positives inside libstdc++, not in our code.
  -Wno-stringop-overflow -Wno-restrict -Wno-array-bounds)
