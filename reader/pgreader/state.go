package pgreader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/pgcopy"
	"github.com/ferrydata/ferry/internal/pgurl"
)

var _ ferry.StatefulReader = (*Reader)(nil)

// state is what ExportState ships: the planner's exported snapshot and the
// split key its split specs refer to.
type state struct {
	Version  int    `json:"pgreader_state"`
	Snapshot string `json:"snapshot"`
	Key      string `json:"key,omitempty"`
	KeyType  string `json:"keyType,omitempty"`
	KeyOID   uint32 `json:"keyOid,omitempty"`
	Ctid     bool   `json:"ctid,omitempty"`
}

// snapshotRe is the form of pg_export_snapshot's ids ("00000003-0000001B-1").
var snapshotRe = regexp.MustCompile(`^[0-9A-F]{1,16}(-[0-9A-F]{1,16}){1,2}$`)

// ExportState returns the Reader's exported snapshot id and split key, for
// a Reader in another process (ImportState). It holds no secrets. The
// snapshot stays importable while this Reader is open.
func (r *Reader) ExportState(ctx context.Context) (json.RawMessage, error) {
	st := state{Version: 1, Snapshot: r.snapshot, Ctid: r.ctid}
	if r.key != nil {
		st.Key, st.KeyType, st.KeyOID = r.key.Name, r.key.SourceType, r.key.OID
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("pgreader: export state: %w", err)
	}
	return b, nil
}

// ImportState makes the Reader read the splits of the planner whose state
// this is: on the planner's snapshot while it lives, with its split key.
// When the snapshot is gone (the planner's Reader closed or its process
// died), the Reader falls back to its own snapshot, taken when it was
// opened, and says so in the note: the splits read by this Reader then see
// one point in time, but not the same one as splits read elsewhere, so a row
// changed in between may be seen twice or missed across processes.
func (r *Reader) ImportState(ctx context.Context, raw json.RawMessage) (string, error) {
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return "", fmt.Errorf("pgreader: import state: %w", err)
	}
	if st.Version != 1 {
		return "", fmt.Errorf("pgreader: import state: not a pgreader state (version %d)", st.Version)
	}
	if !snapshotRe.MatchString(st.Snapshot) {
		return "", fmt.Errorf("pgreader: import state: bad snapshot id %q", st.Snapshot)
	}
	switch {
	case st.Key != "":
		if r.cfg.Table == "" && r.cfg.QuerySQL == "" {
			return "", errors.New("pgreader: import state: no source")
		}
		if st.KeyType == "" {
			return "", errors.New("pgreader: import state: split key without its type")
		}
		if r.key == nil || r.key.Name != st.Key || r.key.SourceType != st.KeyType {
			// the planner chose another key (the table changed?): the shipped
			// specs refer to its key, so check that it exists with that type
			var typ string
			if err := r.conn.QueryRow(ctx, "SELECT format_type($1, NULL)", st.KeyOID).Scan(&typ); err != nil || typ != st.KeyType {
				return "", fmt.Errorf("pgreader: import state: the planner split on %q of type %s, which this reader does not see", st.Key, st.KeyType)
			}
			r.key = &pgcopy.Column{Name: st.Key, OID: st.KeyOID, SourceType: st.KeyType}
		}
	case st.Ctid:
		if r.cfg.Table == "" {
			return "", errors.New("pgreader: import state: ctid splits of a query")
		}
	}
	r.ctid = st.Ctid
	// Is the snapshot still alive?
	conn, err := pgurl.Connect(ctx, "pgreader", r.conncfg)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	err = r.setSnapshot(ctx, conn, st.Snapshot)
	var pe *pgconn.PgError
	switch {
	case err == nil:
		r.mu.Lock()
		r.imported = st.Snapshot
		r.mu.Unlock()
		return "", nil
	case errors.As(err, &pe) && (pe.Code == "22023" || pe.Code == "0A000"):
		return fmt.Sprintf("pgreader: the planner's snapshot %s is gone (its process ended); this reader reads every split on its own snapshot of %s instead: consistent within this process, not with splits read elsewhere",
			st.Snapshot, r.name()), nil
	}
	return "", fmt.Errorf("pgreader: import state: %w", err)
}

// readSnapshot is the snapshot the splits read: the planner's when it was
// imported, else this Reader's own.
func (r *Reader) readSnapshot() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.imported != "" {
		return r.imported
	}
	return r.snapshot
}

// setSnapshot starts a read-only repeatable-read transaction on snap.
func (r *Reader) setSnapshot(ctx context.Context, conn *pgx.Conn, snap string) error {
	if _, err := pgurl.Exec(ctx, conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	lit, err := literal(snap)
	if err != nil || !snapshotRe.MatchString(snap) {
		return fmt.Errorf("bad snapshot id %q", snap)
	}
	if _, err := pgurl.Exec(ctx, conn, "SET TRANSACTION SNAPSHOT "+lit); err != nil {
		return fmt.Errorf("set snapshot %s: %w", snap, err)
	}
	return nil
}
