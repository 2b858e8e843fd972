// ProcessIo: pipes or a pty master wired to containerd's fifos through Copiers.
#include "shim/io/stdio.h"

#include <fcntl.h>
#include <unistd.h>

#include "shim/io/console.h"

namespace keel::shim::io {
namespace {

Result<std::pair<UniqueFd, UniqueFd>> make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Error::sys("pipe2");
  return std::make_pair(UniqueFd(p[0]), UniqueFd(p[1]));
}

}  // namespace

ProcessIo::~ProcessIo() = default;

Result<UniqueFd> ProcessIo::open_output(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid())
    return Error::sys("open \"" + path + "\"");
  return fd;
}

Result<void> ProcessIo::open_stdin(UniqueFd dst) {
  // Read side of the client's fifo: EOF arrives once the client's writer has come and gone.
  UniqueFd src(::open(paths_.stdin_path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!src.valid())
    return Error::sys("open \"" + paths_.stdin_path + "\"");
  in_ = std::make_unique<Copier>(loop_, std::move(src), std::move(dst),
                                 Copier::WhenFull::kPauseReading, nullptr);
  return {};
}

Result<std::unique_ptr<ProcessIo>> ProcessIo::with_pipes(EventLoop& loop, const StdioPaths& paths) {
  std::unique_ptr<ProcessIo> io(new ProcessIo(loop));
  io->paths_ = paths;
  if (!paths.stdin_path.empty()) {
    auto p = make_pipe();
    if (!p)
      return std::move(p).error();
    io->child_in_ = std::move(p->first);
    KEEL_TRY(io->open_stdin(std::move(p->second)));
  }
  auto output = [&](const std::string& path, UniqueFd& child_end,
                    std::unique_ptr<Copier>& copier) -> Result<void> {
    if (path.empty())
      return {};
    auto fifo = io->open_output(path);
    if (!fifo)
      return std::move(fifo).error();
    auto p = make_pipe();
    if (!p)
      return std::move(p).error();
    child_end = std::move(p->second);
    copier = std::make_unique<Copier>(loop, std::move(p->first), std::move(*fifo),
                                      Copier::WhenFull::kDrop, nullptr);
    return {};
  };
  KEEL_TRY(output(paths.stdout_path, io->child_out_, io->out_));
  KEEL_TRY(output(paths.stderr_path, io->child_err_, io->err_));
  return io;
}

Result<std::unique_ptr<ProcessIo>> ProcessIo::with_console(EventLoop& loop, const StdioPaths& paths,
                                                           UniqueFd master) {
  std::unique_ptr<ProcessIo> io(new ProcessIo(loop));
  io->paths_ = paths;
  io->master_ = std::move(master);
  if (!paths.stdin_path.empty()) {
    UniqueFd dst(::fcntl(io->master_.get(), F_DUPFD_CLOEXEC, 3));
    if (!dst.valid())
      return Error::sys("dup pty master");
    KEEL_TRY(io->open_stdin(std::move(dst)));
  }
  if (!paths.stdout_path.empty()) {
    auto fifo = io->open_output(paths.stdout_path);
    if (!fifo)
      return std::move(fifo).error();
    UniqueFd src(::fcntl(io->master_.get(), F_DUPFD_CLOEXEC, 3));
    if (!src.valid())
      return Error::sys("dup pty master");
    io->out_ = std::make_unique<Copier>(loop, std::move(src), std::move(*fifo),
                                        Copier::WhenFull::kDrop, nullptr);
  }
  return io;
}

void ProcessIo::close_child_ends() {
  child_in_.reset();
  child_out_.reset();
  child_err_.reset();
}

Result<void> ProcessIo::resize(std::uint32_t width, std::uint32_t height) {
  if (!master_.valid())
    return Error::of(Errc::kFailedPrecondition, "the process has no terminal");
  return resize_pty(master_.get(), width, height);
}

void ProcessIo::close_stdin() {
  if (in_)
    in_->finish();
}

void ProcessIo::finish() {
  close_child_ends();
  for (auto* c : {in_.get(), out_.get(), err_.get()})
    if (c != nullptr)
      c->finish();
  master_.reset();
}

bool ProcessIo::output_done() const {
  return (!out_ || out_->done()) && (!err_ || err_->done());
}

}  // namespace keel::shim::io
