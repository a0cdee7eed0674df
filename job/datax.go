package job

import (
	"encoding/json"
	"fmt"
	"math"
)

// fromDataX converts a DataX job ({"job": {"setting", "content"}}).
func fromDataX(root map[string]any) (*Job, error) {
	j := &Job{}
	top, _ := newObj(j, "", root)
	top.accept("Ferry has no core.json; core overrides have no effect", "core")
	jb, err := top.child("job")
	if err != nil {
		return nil, err
	}
	top.done()
	setting, err := jb.child("setting")
	if err != nil {
		return nil, err
	}
	if err := readSetting(j, setting); err != nil {
		return nil, err
	}
	contents, err := jb.children("content")
	if err != nil {
		return nil, err
	}
	jb.done()
	if len(contents) == 0 {
		return nil, fmt.Errorf("job: job.content is required (a list with one reader and one writer)")
	}
	if len(contents) > 1 {
		j.warn("job.content: %d entries; only job.content[0] runs, as in DataX", len(contents))
	}
	c := contents[0]
	rd, err := c.child("reader")
	if err != nil {
		return nil, err
	}
	wr, err := c.child("writer")
	if err != nil {
		return nil, err
	}
	if rd == nil || wr == nil {
		return nil, fmt.Errorf("job: %s needs a reader and a writer", c.path)
	}
	rs, err := pluginReader(j, rd)
	if err != nil {
		return nil, err
	}
	ws, err := pluginWriter(j, wr)
	if err != nil {
		return nil, err
	}
	if err := readTransformers(j, c, "transformer"); err != nil {
		return nil, err
	}
	c.done()
	if err := j.pair(rs, ws); err != nil {
		return nil, err
	}
	return j, nil
}

func pluginReader(j *Job, rd *obj) (readerSide, error) {
	name, err := rd.required("name")
	if err != nil {
		return readerSide{}, err
	}
	p, err := rd.child("parameter")
	if err != nil {
		return readerSide{}, err
	}
	if p == nil {
		p, _ = newObj(j, rd.at("parameter"), map[string]any{})
	}
	rd.done()
	rs, err := readerPlugin(j, name, p, j.Concurrency)
	if err != nil {
		return rs, err
	}
	p.done()
	return rs, nil
}

func pluginWriter(j *Job, wr *obj) (writerSide, error) {
	name, err := wr.required("name")
	if err != nil {
		return writerSide{}, err
	}
	p, err := wr.child("parameter")
	if err != nil {
		return writerSide{}, err
	}
	if p == nil {
		p, _ = newObj(j, wr.at("parameter"), map[string]any{})
	}
	wr.done()
	ws, err := writerPlugin(j, name, p)
	if err != nil {
		return ws, err
	}
	p.done()
	return ws, nil
}

func readTransformers(j *Job, c *obj, key string) error {
	ts, err := c.children(key)
	if err != nil {
		return err
	}
	for _, t := range ts {
		name, err := t.required("name")
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if v, ok := t.get("parameter"); ok {
			raw, _ = json.Marshal(v)
		}
		t.done()
		j.Transforms = append(j.Transforms, TransformSpec{Name: name, Parameter: raw})
	}
	return nil
}

// readSetting reads setting.speed and setting.errorLimit, in DataX's and
// DataWorks' forms.
func readSetting(j *Job, s *obj) error {
	if s == nil {
		j.warn("setting.errorLimit is not set: as in DataX, any number of dirty rows is tolerated")
		j.Dirty.MaxRows = int64p(-1)
		return nil
	}
	speed, err := s.child("speed")
	if err != nil {
		return err
	}
	if speed != nil {
		for _, k := range []string{"channel", "concurrent"} {
			n, ok, err := speed.integer(k)
			if err != nil {
				return err
			}
			if ok {
				if n < 1 || n > 1024 {
					return fmt.Errorf("job: %s = %d: want 1..1024", speed.at(k), n)
				}
				j.Concurrency = int(n)
			}
		}
		if b, ok, err := speed.num("byte"); err != nil {
			return err
		} else if ok && b > 0 {
			j.BytesPerSecond = b
		}
		if r, ok, err := speed.num("record"); err != nil {
			return err
		} else if ok && r > 0 {
			j.RowsPerSecond = r
		}
		throttle, hasThrottle, err := speed.boolean("throttle")
		if err != nil {
			return err
		}
		mbps, hasMbps, err := speed.num("mbps")
		if err != nil {
			return err
		}
		if hasMbps && mbps > 0 && (throttle || !hasThrottle) {
			j.BytesPerSecond = mbps * (1 << 20)
		}
		speed.done()
	}
	limit, err := s.child("errorLimit")
	if err != nil {
		return err
	}
	if limit == nil {
		j.warn("setting.errorLimit is not set: as in DataX, any number of dirty rows is tolerated")
		j.Dirty.MaxRows = int64p(-1)
	} else {
		rec, hasRec, err := limit.num("record")
		if err != nil {
			return err
		}
		pct, hasPct, err := limit.num("percentage")
		if err != nil {
			return err
		}
		limit.done()
		switch {
		case hasRec:
			if rec < 0 || rec != math.Trunc(rec) {
				return fmt.Errorf("job: %s = %g: want a whole number ≥ 0", limit.at("record"), rec)
			}
			j.Dirty.MaxRows = int64p(int64(rec))
			if hasPct {
				j.warn("%s: ignored, because errorLimit.record is set (as in DataX)", limit.at("percentage"))
			}
		case hasPct:
			if pct < 0 || pct > 1 {
				return fmt.Errorf("job: %s = %g: want a fraction between 0 and 1", limit.at("percentage"), pct)
			}
			j.Dirty.MaxRatio = pct
			if pct == 0 {
				j.Dirty.MaxRows = int64p(0)
			}
		default:
			j.warn("setting.errorLimit sets no limit: as in DataX, any number of dirty rows is tolerated")
			j.Dirty.MaxRows = int64p(-1)
		}
	}
	s.accept("Ferry runs the whole job; use ferry check for a dry run", "dryRun")
	s.done()
	return nil
}

func int64p(n int64) *int64 { return &n }

// pair sets the mapping from the reader's column values and the writer's
// columns, by position: DataX's and DataWorks' code-editor rule.
func (j *Job) pair(rs readerSide, ws writerSide) error {
	j.Source.Parts = rs.parts
	j.Destination = ws.dest
	switch {
	case rs.cols == nil && ws.cols == nil:
		return nil // every column, by name
	case rs.cols == nil:
		// Every source column, in order, onto the listed columns.
		for i, name := range ws.cols {
			j.Mapping.Columns = append(j.Mapping.Columns, MapColumn{To: name, Index: intp(i)})
		}
		j.Mapping.Exact = true
		return nil
	case ws.cols == nil:
		// The writer takes every column: the source's names.
		for i, c := range rs.cols {
			if c.Index == nil && c.From == "" {
				return fmt.Errorf("job: reader column %d is a constant, so the writer must list its columns (not \"*\")", i)
			}
		}
		for _, c := range rs.cols {
			if c.From != "" {
				c.To = c.From
			}
			j.Mapping.Columns = append(j.Mapping.Columns, c)
		}
		j.Mapping.ToSourceNames = true
		return nil
	}
	if len(rs.cols) != len(ws.cols) {
		return fmt.Errorf("job: the reader lists %d columns and the writer %d: they are mapped by position, so the counts must match", len(rs.cols), len(ws.cols))
	}
	for i, c := range rs.cols {
		c.To = ws.cols[i]
		j.Mapping.Columns = append(j.Mapping.Columns, c)
	}
	return nil
}
