package upstream

import "golang.org/x/sys/unix"

// fionread is the ioctl that counts the bytes waiting to be read.
const fionread = unix.TIOCINQ
