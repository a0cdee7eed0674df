package mysqlx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pair returns a buffered client connection and the server's end.
func pair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := dialBuffered(context.Background(), "tcp", ln.Addr().String())
	require.NoError(t, err)
	s := <-acc
	require.NotNil(t, s)
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestBufConnReads(t *testing.T) {
	c, s := pair(t)
	want := make([]byte, 3*ReadBuffer+123)
	for i := range want {
		want[i] = byte(i * 7)
	}
	go func() {
		s.Write(want)
		s.Close()
	}()
	var got bytes.Buffer
	p := make([]byte, 4096) // the driver's read size
	for {
		n, err := c.Read(p)
		got.Write(p[:n])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	require.Equal(t, want, got.Bytes())
}

func TestBufConnWritesAndDeadline(t *testing.T) {
	c, s := pair(t)
	_, err := c.Write([]byte("ping"))
	require.NoError(t, err)
	b := make([]byte, 4)
	_, err = io.ReadFull(s, b)
	require.NoError(t, err)
	require.Equal(t, "ping", string(b))

	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
	_, err = c.Read(b)
	require.True(t, errors.Is(err, os.ErrDeadlineExceeded), "%v", err)
	// A later read after the deadline is lifted gets the data.
	require.NoError(t, c.SetReadDeadline(time.Time{}))
	_, err = s.Write([]byte("pong"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	require.Equal(t, "pong", string(b))
}

// TestBufConnLivenessCheck checks what the driver's check of an idle
// connection sees: the socket when nothing is buffered, an error (a bad
// connection) when bytes wait in the buffer.
func TestBufConnLivenessCheck(t *testing.T) {
	c, s := pair(t)
	rc, err := c.(syscall.Conn).SyscallConn()
	require.NoError(t, err)
	var rerr error
	require.NoError(t, rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, rerr = syscall.Read(int(fd), b[:])
		return true
	}))
	require.ErrorIs(t, rerr, syscall.EAGAIN) // idle: nothing to read

	_, err = s.Write([]byte("0123456789"))
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond) // the ten bytes arrive together (not a timing assertion)
	b := make([]byte, 1)
	_, err = io.ReadFull(c, b)
	require.NoError(t, err)
	_, err = c.(syscall.Conn).SyscallConn()
	require.ErrorIs(t, err, errUnread)
}
