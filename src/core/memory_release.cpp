#include "core/memory_release.hpp"

#include <malloc.h>

namespace pincer::core {

void release_free_memory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace pincer::core
