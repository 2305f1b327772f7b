# ccache makes rebuilds after a branch switch or a clean cheap. Precompiled headers need the
# sloppiness below, or ccache would miss on every file that uses one.
find_program(PINCER_CCACHE ccache)
if(PINCER_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${PINCER_CCACHE})
  message(STATUS "Using ccache: ${PINCER_CCACHE}")
endif()
