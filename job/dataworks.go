package job

import (
	"fmt"
	"strings"
)

// fromDataWorks converts a DataWorks script-mode job: {"type": "job",
// "version": "2.0", "steps": [reader, writer], "setting", "order"}.
func fromDataWorks(root map[string]any) (*Job, error) {
	j := &Job{}
	top, _ := newObj(j, "", root)
	typ, err := top.str("type")
	if err != nil {
		return nil, err
	}
	if typ != "" && typ != "job" {
		return nil, fmt.Errorf("job: type = %q: want \"job\"", typ)
	}
	if v, _ := top.str("version"); v != "" && v != "2.0" && v != "1.0" {
		j.warn("version = %q: Ferry reads the 2.0 form", v)
	}
	setting, err := top.child("setting")
	if err != nil {
		return nil, err
	}
	if err := readSetting(j, setting); err != nil {
		return nil, err
	}
	steps, err := top.children("steps")
	if err != nil {
		return nil, err
	}
	var rd, wr *obj
	var rdName, wrName string
	for _, s := range steps {
		cat, err := s.required("category")
		if err != nil {
			return nil, err
		}
		st, err := s.required("stepType")
		if err != nil {
			return nil, err
		}
		name, err := s.str("name")
		if err != nil {
			return nil, err
		}
		switch strings.ToLower(cat) {
		case "reader":
			if rd != nil {
				return nil, fmt.Errorf("job: %s: a second reader step; Ferry runs one reader and one writer", s.path)
			}
			rd, rdName = s, name
		case "writer":
			if wr != nil {
				return nil, fmt.Errorf("job: %s: a second writer step; Ferry runs one reader and one writer", s.path)
			}
			wr, wrName = s, name
		default:
			return nil, fmt.Errorf("job: %s = %q: want reader or writer", s.at("category"), cat)
		}
		_ = st
	}
	if rd == nil || wr == nil {
		return nil, fmt.Errorf("job: steps needs one reader step and one writer step")
	}
	rs, err := dwStep(j, rd, "reader", func(name string, p *obj) (any, error) { return readerPlugin(j, name, p, j.Concurrency) })
	if err != nil {
		return nil, err
	}
	wsAny, err := dwStep(j, wr, "writer", func(name string, p *obj) (any, error) { return writerPlugin(j, name, p) })
	if err != nil {
		return nil, err
	}
	order, err := top.child("order")
	if err != nil {
		return nil, err
	}
	if order != nil {
		hops, err := order.children("hops")
		if err != nil {
			return nil, err
		}
		for _, h := range hops {
			from, _ := h.str("from")
			to, _ := h.str("to")
			h.done()
			if (rdName != "" && from != rdName) || (wrName != "" && to != wrName) {
				return nil, fmt.Errorf("job: %s: hop %s → %s does not join the reader step %q to the writer step %q", h.path, from, to, rdName, wrName)
			}
		}
		order.done()
	}
	top.accept("it has no effect in Ferry", "extend")
	top.done()
	if err := j.pair(rs.(readerSide), wsAny.(writerSide)); err != nil {
		return nil, err
	}
	return j, nil
}

// dwStep maps a step's stepType onto a DataX plugin name and reads it.
func dwStep(j *Job, s *obj, cat string, read func(string, *obj) (any, error)) (any, error) {
	st, _ := s.str("stepType")
	s.ignore("name", "category")
	p, err := s.child("parameter")
	if err != nil {
		return nil, err
	}
	if p == nil {
		p, _ = newObj(j, s.at("parameter"), map[string]any{})
	}
	s.done()
	name := strings.ToLower(st)
	switch name {
	case "postgres", "postgre":
		name = "postgresql"
	case "txt_file", "txtfile", "file":
		name = "txtfile"
	}
	if !strings.HasSuffix(name, cat) {
		name += cat
	}
	v, err := read(name, p)
	if err != nil {
		return nil, err
	}
	p.done()
	return v, nil
}
