// Prepared statements kept for reuse, by their SQL text.
//
// Why: keeld runs the same few dozen statements for every container (find, status writes,
// snapshot rows), and compiling one costs more than running it; with a cache each is compiled
// once per connection. A statement comes back reset, with its bindings cleared, so it holds no
// read transaction open (which would keep the WAL from being checkpointed) and carries nothing
// into its next use. Threads share the cache: a statement in use is out of it, and two threads
// running the same SQL at once each get their own.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

struct sqlite3_stmt;

namespace keel::manager::store {

class StatementCache {
 public:
  // Copies kept of one SQL text: about as many as threads run it at once.
  static constexpr std::size_t kPerStatement = 4;
  // Statements kept in all; past it a returned one is finalized.
  static constexpr std::size_t kTotal = 256;

  StatementCache() = default;
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // A statement compiled from sql before and not in use, or nullptr.
  [[nodiscard]] sqlite3_stmt* take(const std::string& sql) noexcept;
  // Resets stmt and keeps it for the next take of sql, or finalizes it (cache full or closed).
  void give_back(const std::string& sql, sqlite3_stmt* stmt) noexcept;
  // Finalizes what is kept, and from now on whatever is given back: the connection is closing.
  void close() noexcept;

 private:
  std::mutex mutex_;
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
  bool closed_ = false;
};

}  // namespace keel::manager::store
