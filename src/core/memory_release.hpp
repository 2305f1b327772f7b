#pragma once
// Gives free heap memory back to the OS. After a burst (thousands of queued messages) glibc keeps
// the high-water mark of its heaps mapped although almost all of it is free; an assistant that
// runs for months should not carry its busiest minute around forever. Call it when work has
// gone quiet, never on a hot path: it walks the heaps (milliseconds for tens of MB).

namespace pincer::core {

void release_free_memory();

}  // namespace pincer::core
