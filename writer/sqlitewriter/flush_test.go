package sqlitewriter

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFlusher: the background write-back runs while a file is written,
// stops (also twice, also a nil flusher) and reports a failed write-back
// call from Stop, so that Commit fails rather than trust the file.
func TestFlusher(t *testing.T) {
	if !canWriteBack {
		if startFlusher(nil, time.Millisecond) != nil {
			t.Fatal("a flusher without write-back")
		}
		t.Skip("no write-back call on this platform")
	}
	var none *flusher
	if err := none.Stop(); err != nil {
		t.Fatalf("nil flusher: %v", err)
	}
	for _, tc := range []struct {
		name    string
		closeIt bool // close the file first: write-back fails (EBADF)
		wantErr string
	}{
		{name: "writes", closeIt: false},
		{name: "closed file", closeIt: true, wantErr: "write-back of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "f.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if tc.closeIt {
				f.Close()
			}
			fl := startFlusher(f, time.Millisecond)
			page := make([]byte, 8192)
			for i := range 50 {
				if !tc.closeIt {
					if _, err := f.WriteAt(page, int64(i)*8192); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Millisecond)
			}
			err = fl.Stop()
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Stop: %v, want an error with %q", err, tc.wantErr)
			}
			if err2 := fl.Stop(); err2 != err {
				t.Fatalf("second Stop: %v, first %v", err2, err)
			}
		})
	}
}
