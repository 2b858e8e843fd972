// ProcessIo: pipes or a pty master wired to containerd's fifos (and a CRI log) through Copiers.
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

Result<void> ProcessIo::open_log() {
  if (paths_.log_path.empty())
    return {};
  auto log = CriLogFile::open(paths_.log_path);
  if (!log)
    return std::move(log).error();
  log_ = std::move(*log);
  return {};
}

Result<std::unique_ptr<Copier>> ProcessIo::make_output(UniqueFd src, const std::string& path,
                                                       const char* stream) {
  UniqueFd fifo;
  if (!path.empty()) {
    auto opened = open_output(path);
    if (!opened)
      return std::move(opened).error();
    fifo = std::move(*opened);
  }
  auto copier = std::make_unique<Copier>(loop_, std::move(src), std::move(fifo),
                                         Copier::WhenFull::kDrop, nullptr);
  if (log_)
    copier->set_log(std::make_unique<CriLogStream>(log_, stream));
  return copier;
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
  KEEL_TRY(io->open_log());
  auto output = [&](const std::string& path, const char* stream, UniqueFd& child_end,
                    std::unique_ptr<Copier>& copier) -> Result<void> {
    if (path.empty() && !io->log_)
      return {};
    auto p = make_pipe();
    if (!p)
      return std::move(p).error();
    child_end = std::move(p->second);
    auto made = io->make_output(std::move(p->first), path, stream);
    if (!made)
      return std::move(made).error();
    copier = std::move(*made);
    return {};
  };
  KEEL_TRY(output(paths.stdout_path, "stdout", io->child_out_, io->out_));
  KEEL_TRY(output(paths.stderr_path, "stderr", io->child_err_, io->err_));
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
  KEEL_TRY(io->open_log());
  if (!paths.stdout_path.empty() || io->log_) {
    UniqueFd src(::fcntl(io->master_.get(), F_DUPFD_CLOEXEC, 3));
    if (!src.valid())
      return Error::sys("dup pty master");
    auto made = io->make_output(std::move(src), paths.stdout_path, "stdout");
    if (!made)
      return std::move(made).error();
    io->out_ = std::move(*made);
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
