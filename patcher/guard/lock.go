package guard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"time"
)

// errLocked is returned when another process held the store lock for the
// whole of Options.LockWait without it going stale.
var errLocked = errors.New("auth store is locked by another process")

// storeLock is a lock taken the way Clawdbot takes it with proper-lockfile:
// the lock is the directory <file>.lock, created with mkdir (atomic on every
// file system); a lock whose mtime is older than the stale limit belongs to
// a dead process and may be removed. The owner of a live lock refreshes its
// mtime every half stale period, so a fresh lock is always respected.
type storeLock struct {
	path string
	info fs.FileInfo // the directory we created, to remove only our own
}

// lockParams are the knobs acquireLock needs, split out for tests.
type lockParams struct {
	stale time.Duration // a lock older than this is broken
	wait  time.Duration // give up after this long behind a fresh lock
	busy  func()        // called each time a fresh lock makes us wait; tests hook it
}

// acquireLock takes the lock for file, waiting behind a fresh lock with a
// jittered backoff and breaking a stale one.
func acquireLock(ctx context.Context, file string, p lockParams) (*storeLock, error) {
	path := file + ".lock"
	deadline := time.Now().Add(p.wait)
	delay := 20 * time.Millisecond
	for {
		err := os.Mkdir(path, 0o777)
		if err == nil {
			info, err := os.Lstat(path)
			if err != nil {
				os.Remove(path)
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			return &storeLock{path: path, info: info}, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		info, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released between our mkdir and stat
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Since(info.ModTime()) > p.stale {
			// proper-lockfile removes a stale lock with rmdir too; a
			// lock directory with something inside is not one of ours
			// to judge, so that error stops us.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("break stale lock %s: %w", path, err)
			}
			continue
		}
		if p.busy != nil {
			p.busy()
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("lock %s: %w", path, errLocked)
		}
		sleep := delay/2 + rand.N(delay/2+1)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(sleep):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

// release removes the lock directory if it is still the one we created: if
// we somehow held it past the stale limit and another process broke it and
// took its own, that one is left alone.
func (l *storeLock) release() error {
	info, err := os.Lstat(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	if !os.SameFile(info, l.info) || !info.ModTime().Equal(l.info.ModTime()) {
		return nil
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock %s: %w", l.path, err)
	}
	return nil
}
