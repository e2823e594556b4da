package upstream

// fionread is the ioctl that counts the bytes waiting to be read:
// FIONREAD, _IOR('f', 127, int), which golang.org/x/sys/unix does not
// define for darwin.
const fionread = 0x4004667f
