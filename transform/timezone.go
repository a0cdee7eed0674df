package transform

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/transform/tz"
)

// ZoneConfig configures TimeZone. Zones are IANA names ("Asia/Shanghai"),
// "UTC" or fixed offsets ("+08:00", "GMT+8"); the machine's local zone is
// never used.
type ZoneConfig struct {
	// Columns names the timestamp columns; ColumnIndexes names them by
	// 0-based position. With neither, every timestamp column the conversion
	// applies to is converted (zone-less ones when From is set, instants
	// otherwise).
	Columns       []string `json:"columns,omitempty"`
	ColumnIndexes []int    `json:"columnIndexes,omitempty"`
	// From is the zone of zone-less source values. Set alone, zone-less
	// columns become instants (timestamp with zone "UTC"): the source
	// DATETIME written in Asia/Shanghai becomes a timestamptz.
	From string `json:"from,omitempty"`
	// To is the zone of zone-less results. Set alone, instant columns become
	// zone-less wall clocks in To (for a zone-less destination column). Set
	// with From, zone-less columns are converted from wall clocks in From
	// to wall clocks in To, and instant columns become wall clocks in To.
	To string `json:"to,omitempty"`
	// DST is the policy for wall clocks in From that daylight saving time
	// makes ambiguous or impossible: "error" (the default: the row is
	// dirty, naming the column and the value), "earliest" or "latest" (see
	// tz.Policy).
	DST string `json:"dst,omitempty"`
}

// TimeZone returns the time-zone transform cfg describes.
func TimeZone(cfg ZoneConfig, opts *Options) (ferry.Transformer, error) {
	z := &zoneT{cfg: cfg, opts: opts}
	var err error
	if cfg.From == "" && cfg.To == "" {
		return nil, fmt.Errorf("transform: timezone: set from, to or both")
	}
	if cfg.From != "" {
		if z.from, err = tz.Load(cfg.From); err != nil {
			return nil, fmt.Errorf("transform: timezone: from: %w", err)
		}
	}
	if cfg.To != "" {
		if z.to, err = tz.Load(cfg.To); err != nil {
			return nil, fmt.Errorf("transform: timezone: to: %w", err)
		}
	}
	if z.policy, err = tz.ParsePolicy(cfg.DST); err != nil {
		return nil, fmt.Errorf("transform: timezone: %w", err)
	}
	z.cols = refs(cfg.Columns, cfg.ColumnIndexes)
	z.b.bind = z.bind
	return z, nil
}

type zoneT struct {
	cfg      ZoneConfig
	from, to *time.Location
	policy   tz.Policy
	cols     []colRef
	opts     *Options
	b        binding[zonePlan]
}

type zonePlan struct {
	out *arrow.Schema
	idx []int
}

var _ ferry.Transformer = (*zoneT)(nil)

func (z *zoneT) bind(in *arrow.Schema) (*zonePlan, error) {
	p := &zonePlan{out: in}
	applies := func(t *arrow.TimestampType) bool {
		if t.TimeZone == "" {
			return z.from != nil
		}
		return z.to != nil
	}
	add := func(i int, explicit bool) error {
		f := in.Field(i)
		t, ok := f.Type.(*arrow.TimestampType)
		if !ok {
			if explicit {
				return fmt.Errorf("transform: timezone: column %q is %s, not a timestamp", f.Name, f.Type)
			}
			return nil
		}
		if !applies(t) {
			if !explicit {
				return nil
			}
			if t.TimeZone == "" {
				return fmt.Errorf("transform: timezone: column %q holds zone-less wall clocks: set from, their zone", f.Name)
			}
			return fmt.Errorf("transform: timezone: column %q holds instants (%s): set to, the zone of the wall clocks to write", f.Name, t)
		}
		var nt arrow.DataType
		switch {
		case t.TimeZone == "" && z.to == nil:
			nt = &arrow.TimestampType{Unit: t.Unit, TimeZone: "UTC"}
		default:
			nt = &arrow.TimestampType{Unit: t.Unit}
		}
		p.idx = append(p.idx, i)
		p.out = replaceField(p.out, i, arrow.Field{Name: f.Name, Type: nt, Nullable: f.Nullable, Metadata: withoutSourceType(f.Metadata)})
		return nil
	}
	if len(z.cols) == 0 {
		for i := range in.Fields() {
			if err := add(i, false); err != nil {
				return nil, err
			}
		}
		return p, nil
	}
	idx, err := resolveAll(in, "timezone", z.cols)
	if err != nil {
		return nil, err
	}
	for _, i := range idx {
		if err := add(i, true); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// OutputSchema returns in with the converted columns' new types.
func (z *zoneT) OutputSchema(in *arrow.Schema) (*arrow.Schema, error) {
	return z.b.output(in, func(p *zonePlan) *arrow.Schema { return p.out })
}

// Transform converts the columns; a wall clock the DST policy rejects makes
// its row dirty.
func (z *zoneT) Transform(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	p, err := z.b.get(b.Schema())
	if err != nil {
		return nil, err
	}
	mem := z.opts.mem()
	n := int(b.NumRows())
	return rewrite(ctx, mem, b, p.out, p.idx, func(_ int, col arrow.Array, name string, errs *rowErrs) (arrow.Array, error) {
		src := col.(*array.Timestamp)
		bad := func(i int, err error) {
			errs.add(n, i, name, goValue(src, i), fmt.Errorf("transform: timezone: %w", err))
		}
		var a *array.Timestamp
		var err error
		switch zoneless := src.DataType().(*arrow.TimestampType).TimeZone == ""; {
		case zoneless && z.to == nil:
			a, err = tz.LocalizeArray(mem, src, z.from, z.policy, bad)
		case zoneless:
			a, err = tz.ConvertArray(mem, src, z.from, z.to, z.policy, bad)
		default:
			a, err = tz.WallClockArray(mem, src, z.to, bad)
		}
		if err != nil {
			return nil, fmt.Errorf("transform: timezone: column %s: %w", name, err)
		}
		return a, nil
	})
}

func init() {
	builders["timezone"] = func(raw json.RawMessage, o *Options) (ferry.Transformer, error) {
		var p ZoneConfig
		if err := strictJSON(raw, &p); err != nil {
			return nil, fmt.Errorf("transform: timezone: parameter: %w", err)
		}
		return TimeZone(p, o)
	}
}
