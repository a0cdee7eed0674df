package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/cursor"
)

// syncCursor is the incremental state of one `ferry sync` whose --from
// names cursor columns.
type syncCursor struct {
	store   cursor.FileStore
	key     string
	tracker *cursor.Tracker
}

// cursorStore returns the store at path, or the default directory.
func cursorStore(path string) (cursor.FileStore, error) {
	if path != "" {
		return cursor.FileStore{Path: path}, nil
	}
	dir, err := cursor.DefaultDir()
	if err != nil {
		return cursor.FileStore{}, err
	}
	return cursor.FileStore{Path: dir}, nil
}

// openCursor takes the cursor parameters off from, applies the saved state
// and returns the URL to open; cur is nil when from has no cursor. The
// state is keyed by the source (without the cursor) and the destination,
// secrets masked.
func openCursor(from, to, statePath string) (string, *syncCursor, error) {
	base, spec, err := cursor.FromURL(from)
	if err != nil || spec == nil {
		return from, nil, err
	}
	store, err := cursorStore(statePath)
	if err != nil {
		return "", nil, err
	}
	key := cursor.Key(ferry.Redact(base), ferry.Redact(to))
	st, err := store.Load(key)
	if err != nil {
		return "", nil, err
	}
	var saved []cursor.Value
	if st != nil {
		saved = st.Values
	}
	u, err := cursor.Apply(base, *spec, saved)
	if err != nil {
		return "", nil, err
	}
	return u, &syncCursor{store: store, key: key, tracker: cursor.NewTracker(*spec, saved)}, nil
}

// save records the new cursor after a committed run.
func (c *syncCursor) save(sum *ferry.Summary) error {
	if sum == nil || !sum.Committed {
		return nil
	}
	if err := c.store.Save(c.key, c.tracker.Result(), sum.RunID); err != nil {
		return fmt.Errorf("the run committed, but its cursor was not saved (the next run repeats its rows): %w", err)
	}
	return nil
}

// runState shows or resets the cursor of a sync: ferry state show|reset
// --from URL --to URL [--state PATH].
func runState(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ferry state", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ferry state show|reset --from URL --to URL [--state PATH]\n\nShows or forgets the saved cursor of `ferry sync --from URL --to URL` (a --from with\ncursor=COL[,COL]). After a reset the next run is a full copy.\n\nflags:")
		fs.PrintDefaults()
	}
	if len(args) == 0 || (args[0] != "show" && args[0] != "reset") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fs.SetOutput(stdout)
			fs.Usage()
			return 0
		}
		return usageLine(fs, stderr, "say show or reset")
	}
	verb := args[0]
	from := fs.String("from", "", "the sync's --from URL (with its cursor=)")
	to := fs.String("to", "", "the sync's --to URL (with its mode)")
	statePath := fs.String("state", "", "the state file or directory the sync used (default: $XDG_STATE_HOME/ferry/cursors)")
	if code, done := parseFlags(fs, args[1:], stdout, stderr); done {
		return code
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "ferry state: --from and --to are required")
		return 2
	}
	base, spec, err := cursor.FromURL(*from)
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+oneLine(err))
		return 2
	}
	if spec == nil {
		fmt.Fprintln(stderr, "ferry state: --from has no cursor= parameter")
		return 2
	}
	store, err := cursorStore(*statePath)
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+oneLine(err))
		return 1
	}
	key := cursor.Key(ferry.Redact(base), ferry.Redact(*to))
	if verb == "reset" {
		if err := store.Reset(key); err != nil {
			fmt.Fprintln(stderr, "ferry: "+oneLine(err))
			return 1
		}
		fmt.Fprintf(stdout, "cursor %s reset: the next run is a full copy\n", key)
		return 0
	}
	st, err := store.Load(key)
	if err != nil {
		fmt.Fprintln(stderr, "ferry: "+oneLine(err))
		return 1
	}
	if st == nil {
		fmt.Fprintf(stdout, "cursor %s: no saved state (the next run is a full copy)\n", key)
		return 0
	}
	var parts []string
	for _, v := range st.Values {
		parts = append(parts, fmt.Sprintf("%s=%s (%s)", v.Column, v.Text, v.Kind))
	}
	fmt.Fprintf(stdout, "cursor %s: %s\nsaved %s by run %s\n", key, strings.Join(parts, ", "), st.Updated.Format("2006-01-02 15:04:05Z07:00"), st.RunID)
	return 0
}
