package fileset

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The writeback hints leave the bytes written exactly as they were, and
// are issued every WritebackBytes.
func TestWritebackFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	require.NoError(t, err)
	w := &writebackFile{f: f}
	var want bytes.Buffer
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
	for i := 0; i < 3*WritebackBytes/len(chunk)+3; i++ {
		chunk[0] = byte(i)
		n, err := w.Write(chunk)
		require.NoError(t, err)
		require.Equal(t, len(chunk), n)
		want.Write(chunk)
		require.Equal(t, int64(want.Len()), w.off)
		require.Less(t, w.off-w.started, int64(WritebackBytes))
	}
	require.Equal(t, int64(3*WritebackBytes), w.started)
	require.NoError(t, f.Sync())
	require.NoError(t, f.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want.Bytes(), got))
}
