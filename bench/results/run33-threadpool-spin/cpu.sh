set -euo pipefail
. bench/server.sh
web=src/NitroLive.Web/bin/Release/net10.0
cli=src/NitroLive.Cli/bin/Release/net10.0/nitrolive
tck=$(getconf CLK_TCK)
cpu() { awk -v t=$tck '{printf "%.2f", ($14+$15)/t}' /proc/$1/stat; }
for series in "base=" "spin=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=20000" "spin2k=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=2000" "spin500=DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=500"; do
  name=${series%%=*}; settings=${series#*=}
  start_server "$web" 5098 /tmp/cpu33-$name.log "NitroLive__Model__IntraOpThreads=1 $settings"
  sleep 3
  for n in 1 16; do
    a=$(cpu $bench_server)
    "$cli" bench live --url http://127.0.0.1:5098/ --clients $n --duration 30 --warmup 0 > /tmp/cpu33-$name-$n.json 2>/dev/null
    b=$(cpu $bench_server)
    echo "$name clients=$n server cpu-s $(echo "$b - $a" | bc) ratio $(grep -o '"overhead_ratio": [0-9.]*' /tmp/cpu33-$name-$n.json)"
  done
  a=$(cpu $bench_server); sleep 10; b=$(cpu $bench_server); echo "$name idle 10 s: cpu-s $(echo "$b - $a" | bc)"
  stop_server
done
