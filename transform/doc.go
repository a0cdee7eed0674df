// Package transform holds Ferry's built-in Transformers and the registry job
// files build them from (Build, Spec).
//
// Column mapping (Select, SelectPositions, Rename, ByPosition, Map,
// Constant) shares the input's arrays and computes the output schema once
// per input schema, not per batch. DataX's transformers (dx_substr, dx_pad,
// dx_replace, dx_filter, dx_digest) follow DataX's semantics, counting
// characters rather than UTF-16 code units.
package transform
