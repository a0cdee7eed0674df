// Package shardreader reads many sources — sharded tables, sharded
// databases, several servers — as one ferry.Reader into one destination.
//
// Every shard's schema is checked before anything is read: the shards must
// have the same columns (by name, in the same order) with the same Arrow
// types, or New fails naming the shard and the column. Splits are the
// shards' own splits (shard × key range), interleaved so that consecutive
// splits come from different sources (DataX groups tasks by host the same
// way), so no source gets all the workers at once; MaxPerSource caps the
// reads running at once against one source. Optional source columns name
// each row's shard (database, table), so rows from different shards stay
// distinguishable in the destination.
//
// Consistency: each shard reader gives what it documents (pgreader one
// exported snapshot per reader, mysqlreader one consistent snapshot per
// reader). Shards on different databases or servers are read from different
// snapshots: each shard is consistent in itself, but there is no single
// moment across databases (no engine offers a snapshot that spans servers).
package shardreader

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/ferrydata/ferry"
)

// A Shard is one source of the union.
type Shard struct {
	// Name identifies the shard in split IDs and errors ("db1.order_03");
	// names are unique.
	Name string
	// Source groups shards that share a server or database (its host:port
	// or DSN without secrets), for MaxPerSource and the interleaving.
	Source string
	// Reader reads the shard. The shardreader owns it and closes it.
	Reader ferry.Reader
	// Values are the values of the Options.SourceColumns for this shard's
	// rows, by column name.
	Values map[string]string
}

// Options configure a Reader. The zero value adds no columns and sets no
// cap.
type Options struct {
	// SourceColumns are added after the shards' columns, as non-null utf8
	// holding each shard's Values (for example "_db" and "_table").
	SourceColumns []string
	// MaxPerSource caps the splits read at once from one Source; 0 means no
	// cap.
	MaxPerSource int
	// Allocator allocates the source columns; nil means the default.
	Allocator memory.Allocator
}

// Reader reads the union of its shards.
type Reader struct {
	shards []Shard
	opts   Options
	schema *arrow.Schema
	inner  *arrow.Schema // the shards' common schema
	sems   map[string]chan struct{}

	mu     sync.Mutex
	closed bool
}

var (
	_ ferry.Reader         = (*Reader)(nil)
	_ ferry.StatefulReader = (*Reader)(nil)
)

// New returns a Reader over shards. It takes ownership of the shard
// readers (and closes them, also when New fails).
func New(shards []Shard, opts *Options) (*Reader, error) {
	r := &Reader{shards: shards, sems: map[string]chan struct{}{}}
	if opts != nil {
		r.opts = *opts
	}
	if r.opts.Allocator == nil {
		r.opts.Allocator = memory.DefaultAllocator
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("shardreader: no shards")
	}
	seen := map[string]bool{}
	for _, s := range shards {
		if s.Name == "" || seen[s.Name] {
			r.Close()
			return nil, fmt.Errorf("shardreader: shard name %q is empty or repeated", s.Name)
		}
		seen[s.Name] = true
		if s.Reader == nil {
			r.Close()
			return nil, fmt.Errorf("shardreader: shard %s has no reader", s.Name)
		}
		for _, c := range r.opts.SourceColumns {
			if _, ok := s.Values[c]; !ok {
				r.Close()
				return nil, fmt.Errorf("shardreader: shard %s has no value for source column %s", s.Name, c)
			}
		}
		if r.opts.MaxPerSource > 0 && r.sems[s.Source] == nil {
			r.sems[s.Source] = make(chan struct{}, r.opts.MaxPerSource)
		}
	}
	return r, nil
}

// Schema returns the shards' common schema plus the source columns. It
// checks every shard's schema and names the first that differs.
func (r *Reader) Schema(ctx context.Context) (*arrow.Schema, error) {
	if r.schema != nil {
		return r.schema, nil
	}
	var first *arrow.Schema
	for _, s := range r.shards {
		sc, err := s.Reader.Schema(ctx)
		if err != nil {
			return nil, fmt.Errorf("shardreader: shard %s: %w", s.Name, err)
		}
		if first == nil {
			first = sc
			continue
		}
		if err := compatible(r.shards[0].Name, first, s.Name, sc); err != nil {
			return nil, err
		}
	}
	fields := append([]arrow.Field(nil), first.Fields()...)
	// The shards' primary key is unique within a shard only: with source
	// columns the union's key is the shards' key plus the source columns
	// (so a destination created from this schema takes rows whose ids
	// repeat across shards).
	keyLen := len(ferry.PrimaryKey(first))
	for i, c := range r.opts.SourceColumns {
		if len(first.FieldIndices(c)) > 0 {
			return nil, fmt.Errorf("shardreader: source column %s is also a column of the shards", c)
		}
		md := map[string]string{ferry.MetaNotNull: "true"}
		if keyLen > 0 {
			md[ferry.MetaPrimaryKey] = strconv.Itoa(keyLen + i + 1)
		}
		fields = append(fields, arrow.Field{Name: c, Type: arrow.BinaryTypes.String, Metadata: arrow.MetadataFrom(md)})
	}
	md := first.Metadata()
	r.inner, r.schema = first, arrow.NewSchema(fields, &md)
	return r.schema, nil
}

// compatible reports how shard b's schema differs from shard a's.
func compatible(an string, a *arrow.Schema, bn string, b *arrow.Schema) error {
	for i, f := range a.Fields() {
		if i >= b.NumFields() {
			return fmt.Errorf("shardreader: shard %s lacks column %s (shard %s has it)", bn, f.Name, an)
		}
		g := b.Field(i)
		if g.Name != f.Name {
			return fmt.Errorf("shardreader: shard %s has column %s where shard %s has %s (column %d)", bn, g.Name, an, f.Name, i+1)
		}
		if !arrow.TypeEqual(f.Type, g.Type) {
			return fmt.Errorf("shardreader: shard %s column %s is %s, shard %s has %s", bn, f.Name, typeName(g), an, typeName(f))
		}
	}
	if b.NumFields() > a.NumFields() {
		return fmt.Errorf("shardreader: shard %s has an extra column %s (shard %s has not)", bn, b.Field(a.NumFields()).Name, an)
	}
	return nil
}

func typeName(f arrow.Field) string {
	if t, ok := f.Metadata.GetValue(ferry.MetaSourceType); ok {
		return fmt.Sprintf("%s (%s)", f.Type, t)
	}
	return f.Type.String()
}

type splitSpec struct {
	Shard int             `json:"shard"`
	Split json.RawMessage `json:"split"`
	ID    string          `json:"id"`
}

// Splits returns every shard's splits (each shard asked for hint/len(shards)
// of them, at least one), interleaved across sources.
func (r *Reader) Splits(ctx context.Context, hint int) ([]ferry.Split, error) {
	per := max(1, hint/len(r.shards))
	bySource := map[string][][]ferry.Split{}
	var sources []string
	for i, s := range r.shards {
		splits, err := s.Reader.Splits(ctx, per)
		if err != nil {
			return nil, fmt.Errorf("shardreader: shard %s: %w", s.Name, err)
		}
		var out []ferry.Split
		for _, sp := range splits {
			spec, err := json.Marshal(splitSpec{Shard: i, Split: sp.Spec, ID: sp.ID})
			if err != nil {
				return nil, fmt.Errorf("shardreader: %w", err)
			}
			out = append(out, ferry.Split{ID: s.Name + ":" + sp.ID, Spec: spec})
		}
		if _, ok := bySource[s.Source]; !ok {
			sources = append(sources, s.Source)
		}
		bySource[s.Source] = append(bySource[s.Source], out)
	}
	sort.Strings(sources)
	// Round-robin over sources, and within a source over its shards.
	queues := make([][]ferry.Split, len(sources))
	for i, src := range sources {
		queues[i] = interleave(bySource[src])
	}
	return interleave(queues), nil
}

// interleave takes one element of each list in turn.
func interleave(lists [][]ferry.Split) []ferry.Split {
	var out []ferry.Split
	for i := 0; ; i++ {
		added := false
		for _, l := range lists {
			if i < len(l) {
				out = append(out, l[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// Read reads one split of one shard, waiting for a slot of its source, and
// adds the source columns.
func (r *Reader) Read(ctx context.Context, s ferry.Split) (array.RecordReader, error) {
	var spec splitSpec
	if err := json.Unmarshal(s.Spec, &spec); err != nil {
		return nil, fmt.Errorf("shardreader: split %s: %w", s.ID, err)
	}
	if spec.Shard < 0 || spec.Shard >= len(r.shards) {
		return nil, fmt.Errorf("shardreader: split %s names shard %d of %d", s.ID, spec.Shard, len(r.shards))
	}
	if r.schema == nil {
		if _, err := r.Schema(ctx); err != nil {
			return nil, err
		}
	}
	sh := r.shards[spec.Shard]
	sem := r.sems[sh.Source]
	if sem != nil {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("shardreader: split %s: %w", s.ID, ctx.Err())
		}
	}
	rr, err := sh.Reader.Read(ctx, ferry.Split{ID: spec.ID, Spec: spec.Split})
	if err != nil {
		if sem != nil {
			<-sem
		}
		return nil, fmt.Errorf("shardreader: shard %s: %w", sh.Name, err)
	}
	return newRecordReader(r, sh, rr, sem), nil
}

// ExportState returns the states of the shards that have one.
func (r *Reader) ExportState(ctx context.Context) (json.RawMessage, error) {
	states := map[string]json.RawMessage{}
	for _, s := range r.shards {
		if sr, ok := s.Reader.(ferry.StatefulReader); ok {
			st, err := sr.ExportState(ctx)
			if err != nil {
				return nil, fmt.Errorf("shardreader: shard %s: %w", s.Name, err)
			}
			if len(st) > 0 {
				states[s.Name] = st
			}
		}
	}
	if len(states) == 0 {
		return nil, nil
	}
	return json.Marshal(states)
}

// ImportState gives each shard its state; the notes of the shards that
// fell back are joined.
func (r *Reader) ImportState(ctx context.Context, state json.RawMessage) (string, error) {
	var states map[string]json.RawMessage
	if err := json.Unmarshal(state, &states); err != nil {
		return "", fmt.Errorf("shardreader: state: %w", err)
	}
	var notes []string
	for _, s := range r.shards {
		st, ok := states[s.Name]
		if !ok {
			continue
		}
		sr, ok := s.Reader.(ferry.StatefulReader)
		if !ok {
			return "", fmt.Errorf("shardreader: shard %s cannot take the state it was planned with", s.Name)
		}
		note, err := sr.ImportState(ctx, st)
		if err != nil {
			return "", fmt.Errorf("shardreader: shard %s: %w", s.Name, err)
		}
		if note != "" {
			notes = append(notes, s.Name+": "+note)
		}
	}
	if len(notes) == 0 {
		return "", nil
	}
	b, _ := json.Marshal(notes)
	return "shards " + string(b), nil
}

// Close closes every shard reader.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for _, s := range r.shards {
		if s.Reader != nil {
			if err := s.Reader.Close(); err != nil {
				errs = append(errs, fmt.Errorf("shardreader: shard %s: %w", s.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%v", errs)
	}
	return nil
}
