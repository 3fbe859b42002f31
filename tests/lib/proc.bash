# Process helpers shared by the throwaway servers' libraries.
#
#   pid_alive PID   true while PID runs.  A zombie counts as gone: it has
#                   exited (files closed, sockets shut) and only waits for
#                   its parent to reap it.  A daemon's parent is PID 1,
#                   which on some machines (this project's CI VM among
#                   them) reaps only every second or two: kill -0 would
#                   wait that out on every stop.
#   stop_instances KIND STOP
#                   runs STOP on each instance dir the test started of
#                   KIND (redis, swift, keystone), as their *_stop_all do.

pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

stop_instances() {
	local f=${SCRATCH:-}/$1-instances dir
	[ -n "${SCRATCH:-}" ] || return 0
	[ -f "$f" ] || return 0
	while read -r dir; do "$2" "$dir"; done <"$f"
}
