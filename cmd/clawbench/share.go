package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machineShare tells how much of the machine other work took while
// clawbench ran: the CPU time all processes used (from /proc/stat) less
// what clawbench and the servers it started used (its own and its reaped
// children's rusage). The load average says the same less precisely: it
// counts the benchmark's own load too.
type machineShare struct {
	start        time.Time
	busy0, ours0 time.Duration
	ok           bool
}

// startShare notes the counters at the start of the run.
func startShare() *machineShare {
	busy, err := machineBusy()
	return &machineShare{start: time.Now(), busy0: busy, ours0: ownCPU(), ok: err == nil}
}

// others is the CPU time other processes used since the start, and the
// CPU time the machine had in that while (wall time × cores).
func (m *machineShare) others(cores int) (other, available time.Duration, ok bool) {
	busy, err := machineBusy()
	if !m.ok || err != nil {
		return 0, 0, false
	}
	other = (busy - m.busy0) - (ownCPU() - m.ours0)
	return max(other, 0), time.Since(m.start) * time.Duration(cores), true
}

// machineBusy is the CPU time all CPUs have spent not idle since boot:
// the first line of /proc/stat, less idle and iowait.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStatBusy(b)
}

func parseProcStatBusy(stat []byte) (time.Duration, error) {
	line, _, _ := strings.Cut(string(stat), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, errors.New("malformed /proc/stat: no cpu line first")
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat cpu line: %w", err)
		}
		// Fields: user nice system idle iowait irq softirq steal guest
		// guest_nice; guest time is already counted in user.
		switch i {
		case 3, 4, 8, 9:
		default:
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, nil
}

// ownCPU is the CPU time of this process and of its children that have
// ended and been waited for.
func ownCPU() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
