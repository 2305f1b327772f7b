#include "sessions/detail/sql_rows.hpp"

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace pincer::sessions::detail {

std::string random_uuid() {
  // One generator per thread: it holds an OS random source, and a connection (hence a store)
  // is used by one thread at a time.
  thread_local boost::uuids::random_generator generator;
  return boost::uuids::to_string(generator());
}

}  // namespace pincer::sessions::detail
