# Shared by the scripts in this folder: where things live, and how cargo finds its crates.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
PWSH_VERSION=7.6.9
PESTER_VERSION=5.7.1
PWSH="$TOOLS/pwsh/pwsh"
PESTER_PSD1="$TOOLS/nuget/pester/$PESTER_VERSION/tools/Pester.psd1"
DEBIAN_CRATES=/usr/share/cargo/registry
# Debian's packaged crates (crates.io is not reachable here) and the tools the tests use.
APT_PACKAGES="librust-libc-dev librust-once-cell-dev librust-serde-dev librust-serde-derive-dev
  librust-serde-json-dev librust-crossbeam-channel-dev librust-cbindgen-dev valgrind tmux procps
  openssh-server openssh-client"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No build servers: one left running would outlive the build and hold our output pipe open.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false
export POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH" ;; esac

log() { printf '==> %s\n' "$*" >&2; }

# Cargo uses Debian's crates through a directory source when they are installed (and
# RJOB_CARGO_SOURCE is not crates-io); elsewhere it uses crates.io as usual. Cargo.lock pins
# versions both sources hold.
cargo_rjob() {
    if [ "${RJOB_CARGO_SOURCE:-auto}" != crates-io ] && [ -d "$DEBIAN_CRATES/cbindgen-0.24.3" ]; then
        cargo --offline --config 'source.crates-io.replace-with="debian"' \
            --config "source.debian.directory=\"$DEBIAN_CRATES\"" "$@"
    else
        cargo "$@"
    fi
}
