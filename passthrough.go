package ferry

// PassthroughWriter is an optional interface of a Writer that can take the
// batches of a matching reader in their wire encoding, without their values
// being decoded into Arrow arrays and encoded again: PostgreSQL to
// PostgreSQL, for example, where every column has the same type on both
// sides.
//
// After the writer's Prepare (or PrepareStage), when the run has no
// Transformers and no Checks and Options.NoPassthrough is not set, the
// Pipeline asks the writer for its format and offers it to the reader. The
// batches are still arrow.RecordBatch values: one whose columns are touched
// (to keep a dirty row's values, say) decodes itself, so a reader and a
// writer that agree on a format change nothing but the speed.
type PassthroughWriter interface {
	// PassthroughFormat names the encoding of the batches the writer takes
	// as they are, or returns "" (not prepared, or no such encoding for the
	// destination's columns).
	PassthroughFormat() string
}

// PassthroughReader is an optional interface of a Reader that can hand out
// batches carrying their rows in a wire encoding (see PassthroughWriter).
type PassthroughReader interface {
	// Passthrough asks the reader to produce batches in format from the
	// next Read on, and reports whether it will: a reader says yes only
	// when its rows in that encoding are exactly what the writer expects.
	// "" (or any format it refuses) means decoded batches again.
	Passthrough(format string) bool
}

// negotiate offers the writer's passthrough format to the reader, once the
// writer is prepared, and returns whether they agreed. A reader that
// cannot be offered one is told "" (no passthrough), so that a reader used
// by an earlier run with a passthrough writer decodes again.
func (p *Pipeline) negotiate() bool {
	pr, ok := p.r.(PassthroughReader)
	if !ok {
		return false
	}
	f := ""
	if pw, ok := p.w.(PassthroughWriter); ok && !p.opts.NoPassthrough && len(p.opts.Transformers) == 0 && len(p.opts.Checks) == 0 {
		f = pw.PassthroughFormat()
	}
	if !pr.Passthrough(f) || f == "" {
		return false
	}
	p.run.passthrough.Store(true)
	return true
}
