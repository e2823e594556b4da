// Package crashtest kills a writer with SIGKILL at random moments, over and
// over, so that tests can show that what it writes is never torn: after
// every kill each file must be the complete old or the complete new
// version, and the program started next must repair what was left.
//
// The writer runs in a child process, the test binary itself started again
// with an environment variable naming the writer. A package that uses Loop
// calls Child first thing in its TestMain:
//
//	func TestMain(m *testing.M) {
//		crashtest.Child(map[string]func(dir string){"patch": patchForever})
//		os.Exit(m.Run())
//	}
//
// A writer sets itself up, writes in a tight loop, and calls Ready once it
// has written at least once; Loop kills it at a random moment after that.
//
// patcher/atomicfile's own test is the one that kills writers. A package
// that writes through atomicfile tests what is its own, that its next run
// removes what a killed writer left, with LeaveTemp.
package crashtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Environment variables that make the test binary a writer.
const (
	writerEnv = "CLAWBRIDGE_CRASHTEST_WRITER"
	dirEnv    = "CLAWBRIDGE_CRASHTEST_DIR"
)

// readyLine is what Ready prints for Loop.
const readyLine = "crashtest: ready"

// Child runs the writer named in the environment, if this process was
// started by Loop, and exits when it returns (a writer should never
// return: it writes until it is killed). Otherwise it returns at once.
func Child(writers map[string]func(dir string)) {
	name := os.Getenv(writerEnv)
	if name == "" {
		return
	}
	w, ok := writers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "crashtest: no writer %q\n", name)
		os.Exit(2)
	}
	w(os.Getenv(dirEnv))
	fmt.Fprintf(os.Stderr, "crashtest: writer %q returned\n", name)
	os.Exit(3)
}

// Ready tells Loop that the writer has written at least once; call it once.
func Ready() { fmt.Println(readyLine) }

// Fail reports a writer's error and ends the child, which makes Loop fail
// the test with the message.
func Fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crashtest: "+format+"\n", args...)
	os.Exit(1)
}

// Stats is what a Loop did.
type Stats struct {
	Kills int
	// Seed seeded the random delays; failures report it.
	Seed uint64
}

// Loop runs the named writer on dir rounds times: start it, wait for
// Ready, let it write for a random time up to maxDelay, SIGKILL it, wait
// for it to be gone, then call after, which checks what the kill left and
// repairs it as the program started next would. A writer that exits on its
// own, or does not get ready within a minute, fails the test.
func Loop(t *testing.T, writer, dir string, rounds int, maxDelay time.Duration, after func(round int)) Stats {
	t.Helper()
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, seed))
	st := Stats{Seed: seed}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+writer, dirEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == readyLine {
					ready <- true
					for sc.Scan() { // keep the pipe drained
					}
					return
				}
			}
			ready <- false
		}()
		select {
		case ok := <-ready:
			if !ok {
				cmd.Wait()
				t.Fatalf("round %d: writer %q exited before it was ready (seed %d):\n%s", round, writer, seed, stderr.String())
			}
		case <-time.After(time.Minute): // hang guard
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: writer %q not ready within a minute:\n%s", round, writer, stderr.String())
		}
		time.Sleep(time.Duration(rng.Int64N(int64(maxDelay) + 1)))
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatalf("round %d: kill: %v", round, err)
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || !strings.Contains(ee.String(), "killed") {
			t.Fatalf("round %d: writer %q ended with %v before it was killed (seed %d):\n%s", round, writer, err, seed, stderr.String())
		}
		st.Kills++
		after(round)
		if t.Failed() {
			t.Fatalf("round %d failed (seed %d)", round, seed)
		}
	}
	return st
}

// LeaveTemp puts beside path the temporary file that atomicfile leaves when
// its writer is killed before the rename, .<name>.clawbridge-<pid>-<n>,
// for a process that has exited, and returns its path.
func LeaveTemp(t *testing.T, path string, data []byte) string {
	t.Helper()
	gone := exec.Command(os.Args[0], "-test.list=^$")
	if err := gone.Run(); err != nil {
		t.Fatalf("start a process that exits: %v", err)
	}
	dir, name := filepath.Split(path)
	temp := filepath.Join(dir, fmt.Sprintf(".%s.clawbridge-%d-%d", name, gone.Process.Pid, rand.Uint32()))
	if err := os.WriteFile(temp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return temp
}
