package cursor

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydata/ferry/internal/atomicfile"
)

const stateFormat = "ferry-cursor"

// FileStore keeps cursor states as JSON files: Path itself when it ends in
// .json, else one file per key in the directory Path.
type FileStore struct {
	Path string
}

// DefaultDir is where cursor states live by default:
// $XDG_STATE_HOME/ferry/cursors, else ~/.local/state/ferry/cursors.
func DefaultDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ferry", "cursors"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cursor: no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "ferry", "cursors"), nil
}

// Key derives a state key from what identifies a sync (its source and
// destination, with secrets masked): a readable prefix and a hash.
func Key(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

func (s FileStore) file(key string) string {
	if strings.HasSuffix(s.Path, ".json") {
		return s.Path
	}
	return filepath.Join(s.Path, key+".json")
}

// Load returns the state saved under key, or nil when there is none.
func (s FileStore) Load(key string) (*State, error) {
	name := s.file(key)
	b, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cursor: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("cursor: state file %s is corrupt: %v", name, err)
	}
	if st.Format != stateFormat || st.Version != 1 {
		return nil, fmt.Errorf("cursor: %s is not a cursor state file (format %q, version %d)", name, st.Format, st.Version)
	}
	if !strings.HasSuffix(s.Path, ".json") && st.Key != key {
		return nil, fmt.Errorf("cursor: state file %s belongs to key %s, not %s", name, st.Key, key)
	}
	return &st, nil
}

// Save writes values as the state of key, atomically (temporary file,
// fsync, rename).
func (s FileStore) Save(key string, values []Value, runID string) error {
	name := s.file(key)
	b, err := json.MarshalIndent(State{Format: stateFormat, Version: 1, Key: key, Values: values, RunID: runID, Updated: time.Now().UTC()}, "", "  ")
	if err != nil {
		return fmt.Errorf("cursor: %w", err)
	}
	if err := atomicfile.WriteFile(name, b, 0o600); err != nil {
		return fmt.Errorf("cursor: save: %w", err)
	}
	return nil
}

// Reset forgets the state of key: the next run is a full copy.
func (s FileStore) Reset(key string) error {
	err := os.Remove(s.file(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cursor: %w", err)
	}
	return nil
}
