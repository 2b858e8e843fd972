// A process's stdio as containerd hands it over (fifo paths, maybe a terminal): the fds the
// runtime gives the process, and the copiers between them and the fifos.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "shim/event_loop.h"
#include "shim/io/copier.h"

namespace keel::shim::io {

struct StdioPaths {
  std::string stdin_path;  // empty: the process gets /dev/null
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
  // Not part of containerd's request: a CRI log file for the output as well (cri_log.h), empty
  // for none. A terminal's output is all stdout.
  std::string log_path;
};

class ProcessIo {
 public:
  // Pipes between the process and the fifos. Output fifos are opened read-write and
  // non-blocking: open never waits for a reader, and a reader may come and go (containerd
  // restarts, `ctr task attach`) without the process noticing.
  [[nodiscard]] static Result<std::unique_ptr<ProcessIo>> with_pipes(EventLoop& loop,
                                                                     const StdioPaths& paths);
  // A terminal: output of the pty master to the stdout fifo, the stdin fifo into the master.
  [[nodiscard]] static Result<std::unique_ptr<ProcessIo>> with_console(EventLoop& loop,
                                                                       const StdioPaths& paths,
                                                                       UniqueFd master);
  ProcessIo(const ProcessIo&) = delete;
  ProcessIo& operator=(const ProcessIo&) = delete;
  ProcessIo(ProcessIo&&) = delete;
  ProcessIo& operator=(ProcessIo&&) = delete;
  ~ProcessIo();

  // The process's ends (pipes mode), for the runtime's stdio; -1 means /dev/null.
  [[nodiscard]] int child_stdin() const { return child_in_.get(); }
  [[nodiscard]] int child_stdout() const { return child_out_.get(); }
  [[nodiscard]] int child_stderr() const { return child_err_.get(); }
  // Once the runtime has handed them on, the shim must not hold them: EOF depends on it.
  void close_child_ends();

  [[nodiscard]] Result<void> resize(std::uint32_t width, std::uint32_t height);
  // CloseIO: the process sees EOF on stdin once what was buffered is written.
  void close_stdin();
  // The process is gone: copy what is readable now and close the fifos.
  void finish();
  [[nodiscard]] bool output_done() const;

 private:
  explicit ProcessIo(EventLoop& loop) : loop_(loop) {}
  [[nodiscard]] Result<void> open_stdin(UniqueFd dst);
  [[nodiscard]] Result<UniqueFd> open_output(const std::string& path);
  [[nodiscard]] Result<void> open_log();
  // A copier from `src` to the fifo at `path` (if any) and to the log (if any).
  [[nodiscard]] Result<std::unique_ptr<Copier>> make_output(UniqueFd src, const std::string& path,
                                                            const char* stream);

  EventLoop& loop_;
  StdioPaths paths_;
  UniqueFd child_in_, child_out_, child_err_;
  UniqueFd master_;
  std::shared_ptr<CriLogFile> log_;
  std::unique_ptr<Copier> in_, out_, err_;
};

}  // namespace keel::shim::io
