package ollamatest

import (
	"fmt"
	"os/exec"
	"time"
)

// process is a started command whose exit is observed once, by a
// goroutine, so that stopping and "exited early" checks can both wait on
// done.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // the exit status, once done is closed
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop asks the process group to terminate, and kills it if it has not
// exited within grace. It reports a process that had already exited by
// itself (a crash); an exit caused by the signals is not an error.
func (p *process) stop(grace time.Duration) error {
	var err error
	select {
	case <-p.done:
		err = fmt.Errorf("%s had exited by itself: %v", p.cmd.Path, p.err)
	default:
		terminateGroup(p.cmd)
		select {
		case <-p.done:
		case <-time.After(grace):
			killGroup(p.cmd)
			<-p.done
		}
	}
	// Ollama's runners share the group; make sure none outlives the server.
	killGroup(p.cmd)
	return err
}
