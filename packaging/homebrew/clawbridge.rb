# Homebrew formula for clawbridge, for the clawbridge/homebrew-tap repository
# (docs/releasing.md says how a release updates it). It builds from source
# with Go; on macOS cgo is on, so the menu-bar tray is compiled in.
class Clawbridge < Formula
  desc "Run Clawdbot on local Ollama models: Anthropic API translator and menu-bar daemon"
  homepage "https://github.com/clawbridge/clawbridge"
  license "MIT"
  head "https://github.com/clawbridge/clawbridge.git", branch: "main"

  depends_on "go" => :build

  def install
    ldflags = %W[
      -s -w
      -X main.version=#{version}
      -X main.date=#{time.iso8601}
    ]
    system "go", "build", *std_go_args(ldflags: ldflags), "./cmd/clawbridge"
  end

  # launchd does not create the log directory of the service below.
  def post_install
    (var/"log/clawbridge").mkpath
  end

  # The same agent as `clawbridge install` writes (packaging/macos/
  # launchagent.plist): restarted after a crash but not after a Quit, in the
  # GUI session, with Homebrew's bin on PATH for node and pnpm. The log
  # goes to var/log/clawbridge/, a directory of its own, because clawbridge
  # finds it from this agent's plist and writes the gateway's log beside
  # it; the menu's "Open logs" opens it. `clawbridge install` refuses to
  # add a second agent while this one is installed.
  service do
    run [opt_bin/"clawbridge", "run"]
    run_at_load true
    keep_alive successful_exit: false
    process_type :interactive
    environment_variables PATH: std_service_path_env
    log_path var/"log/clawbridge/clawbridge.log"
    error_log_path var/"log/clawbridge/clawbridge.log"
  end

  def caveats
    <<~EOS
      Check Ollama, your models and the Clawdbot patch, then start clawbridge
      now and at every login:
        clawbridge doctor
        clawbridge install

      Or let Homebrew start it instead of `clawbridge install` (not both):
        brew services start clawbridge
    EOS
  end

  test do
    assert_match "clawbridge #{version}", shell_output("#{bin}/clawbridge version")
    assert_match "unknown command", shell_output("#{bin}/clawbridge no-such-command 2>&1", 2)
  end
end
