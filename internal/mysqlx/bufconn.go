package mysqlx

import (
	"bufio"
	"context"
	"errors"
	"net"
	"syscall"
)

// ReadBuffer is the size of the buffer through which every connection
// reads its socket. The driver reads into a 4 KiB buffer while the packets
// fit in it, so a result set of short rows (a few hundred bytes each) would
// take a system call, and often a wait in the poller, every 4 KiB.
const ReadBuffer = 64 << 10

// errUnread makes the driver's liveness check fail (it then drops the
// connection, as it does when the socket has bytes nobody asked for).
var errUnread = errors.New("mysqlx: the connection has unread bytes")

// dialBuffered dials addr (TCP keep-alives on, as the driver sets them) and
// reads the socket through a ReadBuffer-sized buffer.
func dialBuffered(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return newBufConn(c), nil
}

func newBufConn(c net.Conn) *bufConn {
	return &bufConn{Conn: c, r: bufio.NewReaderSize(c, ReadBuffer)}
}

// bufConn is a net.Conn whose reads go through a buffer. Writes, deadlines
// and Close go to the socket. The driver reads and writes one connection
// from one goroutine at a time (its watcher only closes it).
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads from the buffer, filling it with one read of the socket when
// it is empty.
func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// SyscallConn returns the socket's raw connection, for the driver's check
// of an idle connection (a read that must find nothing). With bytes left in
// the buffer the connection is not idle: it returns errUnread.
func (c *bufConn) SyscallConn() (syscall.RawConn, error) {
	if c.r.Buffered() > 0 {
		return nil, errUnread
	}
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("mysqlx: the connection has no file descriptor")
	}
	return sc.SyscallConn()
}
