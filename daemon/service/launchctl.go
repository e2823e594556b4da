package service

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// launchJob is one LaunchAgent in one user's GUI session, driven with
// launchctl's domain subcommands (bootstrap, bootout, kickstart, print).
// kardianos/service v1.3 uses the legacy load/unload/list, restarts with
// unload, a 50 ms sleep and load, and passes launchctl's bare error numbers
// on ("Load failed: 5"); these say what to do instead.
type launchJob struct {
	uid   int
	label string
	plist string
}

// domain is the user's GUI domain, where an Aqua agent runs.
func (j launchJob) domain() string { return "gui/" + strconv.Itoa(j.uid) }

// target is the job's service target inside that domain.
func (j launchJob) target() string { return j.domain() + "/" + j.label }

// jobState is what `launchctl print` says about a job.
type jobState struct {
	Loaded  bool // launchd knows the job (bootstrapped)
	Running bool // its process runs
	PID     int  // the running process, 0 when none
}

// state asks launchd about the job. A job launchd does not know is not
// loaded, not an error.
func (j launchJob) state() (jobState, error) {
	out, err := launchctl(j, "print", j.target())
	var le *launchctlError
	if errors.As(err, &le) && (le.Code == errNoService || le.Code == errESRCH) {
		return jobState{}, nil
	}
	if err != nil {
		return jobState{}, err
	}
	return parsePrint(out), nil
}

// bootstrap loads the plist into the GUI domain; RunAtLoad starts it.
// A job already loaded is not an error.
func (j launchJob) bootstrap() error {
	_, err := launchctl(j, "bootstrap", j.domain(), j.plist)
	var le *launchctlError
	if errors.As(err, &le) && le.Code == errInProgress {
		return nil
	}
	return err
}

// bootout stops the job and unloads it until the next login (or
// bootstrap). A job launchd does not know is stopped already.
func (j launchJob) bootout() error {
	_, err := launchctl(j, "bootout", j.target())
	var le *launchctlError
	if errors.As(err, &le) && (le.Code == errNoService || le.Code == errESRCH) {
		return nil
	}
	return err
}

// kickstart starts the loaded job; restart kills a running one first
// (kickstart -k), so it comes back with the binary now on disk.
func (j launchJob) kickstart(restart bool) error {
	args := []string{"kickstart"}
	if restart {
		args = append(args, "-k")
	}
	_, err := launchctl(j, append(args, j.target())...)
	return err
}

// launchctl error numbers clawbridge acts on or explains: errno values
// below 107, launchd's own above (`launchctl error N` prints each).
const (
	errEPERM        = 1   // Operation not permitted
	errESRCH        = 3   // No such process
	errEIO          = 5   // Input/output error: launchd's catch-all
	errNowProgress  = 36  // Operation now in progress
	errInProgress   = 37  // Operation already in progress
	errNoService    = 113 // Could not find specified service
	errDisabled     = 119 // Service is disabled
	errBadOwnership = 122 // Path had bad ownership/permissions
	errNoDomain     = 125 // Domain does not support specified action
	errWrongSession = 134 // Service cannot load in requested session
)

// launchctlError is a failed launchctl command, with what to do about it.
type launchctlError struct {
	Args   []string // launchctl's arguments
	Code   int      // launchctl's error number, or its exit status
	Output string   // what it printed
	Advice string   // what to do, in words; "" when there is nothing to add
}

// Error is the command, what launchctl said and the advice.
func (e *launchctlError) Error() string {
	said := e.Output
	if said == "" {
		said = "exit status " + strconv.Itoa(e.Code)
	}
	msg := fmt.Sprintf("launchctl %s: %s", strings.Join(e.Args, " "), said)
	if e.Advice != "" {
		msg += " (" + e.Advice + ")"
	}
	return msg
}

// launchctlNumber finds the error number launchctl prints, as in
// "Bootstrap failed: 5: Input/output error".
var launchctlNumber = regexp.MustCompile(`(?:failed|error|Error): (\d+): `)

// launchctl runs launchctl with args for job j and returns its output.
func launchctl(j launchJob, args ...string) (string, error) {
	cmd := exec.Command("launchctl", args...)
	raw, err := cmd.CombinedOutput()
	out := strings.TrimSpace(string(raw))
	if err == nil {
		return out, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return out, fmt.Errorf("launchctl %s: %w", strings.Join(args, " "), err)
	}
	code := exit.ExitCode()
	if m := launchctlNumber.FindStringSubmatch(out); m != nil {
		code, _ = strconv.Atoi(m[1])
	}
	return out, &launchctlError{Args: args, Code: code, Output: out, Advice: launchctlAdvice(j, args[0], code)}
}

// launchctlAdvice says what a user does about launchctl's error code after
// verb (bootstrap, bootout, kickstart, print) on job j.
func launchctlAdvice(j launchJob, verb string, code int) string {
	switch code {
	case errEPERM:
		return "macOS did not allow it; run clawbridge as the user logged in at the screen, without sudo"
	case errEIO:
		if verb == "bootstrap" {
			return fmt.Sprintf("launchd refused %s: it may be loaded already, disabled, or not a valid plist; check `plutil -lint %s` and `launchctl print %s`, then run `clawbridge restart`", j.plist, j.plist, j.target())
		}
		return fmt.Sprintf("launchd could not do it; `launchctl print %s` shows the job's state", j.target())
	case errNowProgress, errInProgress:
		return "launchd is still starting or stopping it; wait a few seconds and run the command again"
	case errNoService:
		return "launchd has not loaded clawbridge; run `clawbridge start`"
	case errDisabled:
		return fmt.Sprintf("clawbridge is switched off in System Settings > General > Login Items (Allow in the Background); switch it on there, or run `launchctl enable %s`, then `clawbridge start`", j.target())
	case errBadOwnership:
		return fmt.Sprintf("%s must belong to you and be writable by nobody else: `chmod 644 %s`", j.plist, j.plist)
	case errNoDomain, errWrongSession:
		return "there is no desktop session for this user (an SSH login?); log in at the Mac's screen, or run `clawbridge install` from Terminal there"
	}
	return ""
}

// parsePrint reads the job's top-level "state" and "pid" from `launchctl
// print` output. Only lines indented by one tab belong to the job itself;
// deeper ones describe its endpoints and triggers, which have states too.
func parsePrint(out string) jobState {
	st := jobState{Loaded: true}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "\t\t") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), " = ")
		if !ok {
			continue
		}
		switch key {
		case "state":
			st.Running = value == "running"
		case "pid":
			st.PID, _ = strconv.Atoi(value)
		}
	}
	return st
}
