# Sourced by the bench scripts: one fresh NitroLive server on loopback per server setting.
#
#   start_server DIR PORT LOG "VAR=value ..."   starts DIR/NitroLive.Web.dll with those settings (on top of the CPU
#                                               provider and warnings-only logs) and waits until /readyz answers
#   stop_server                                 stops it
# The server is stopped on exit too, so a failing bench leaves no server behind.

start_server() {
  local dir=$1 port=$2 log=$3 settings=$4
  command -v curl >/dev/null || { echo "curl is needed to see when the server is ready (apt-get install curl)"; exit 1; }
  # shellcheck disable=SC2086 # settings are VAR=value words on purpose
  (cd "$dir" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" NitroLive__Model__Provider=Cpu \
    Logging__LogLevel__Default=Warning $settings dotnet NitroLive.Web.dll) >"$log" 2>&1 &
  bench_server=$!
  trap 'kill $bench_server 2>/dev/null || true' EXIT
  for _ in $(seq 120); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "server not ready, see $log"
  exit 1
}

stop_server() {
  kill "$bench_server"
  wait "$bench_server" 2>/dev/null || true
  trap - EXIT
}
