package parquetreader

import (
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// optionalKeyMaps returns the Parquet schema of pf with the MAP annotation
// taken off every map whose key is declared optional (Presto and Trino
// write such maps; pqarrow refuses them), and the paths of those maps.
// The levels and columns stay the same: pqarrow then reads such a map as a
// list of key/value structs, which mapsFromLists turns back into a map.
func optionalKeyMaps(pf *file.Reader) (*schema.Schema, []string) {
	sc := pf.MetaData().Schema
	var fixed []string
	var rebuild func(n schema.Node, path string) schema.Node
	rebuild = func(n schema.Node, path string) schema.Node {
		g, ok := n.(*schema.GroupNode)
		if !ok {
			return n
		}
		fields := make(schema.FieldList, g.NumFields())
		for i := range fields {
			fields[i] = rebuild(g.Field(i), path+"."+g.Field(i).Name())
		}
		lt, ct := g.LogicalType(), g.ConvertedType()
		if isOptionalKeyMap(g) {
			fixed = append(fixed, path)
			lt, ct = nil, schema.ConvertedTypes.None
		}
		var out *schema.GroupNode
		var err error
		if lt != nil && lt.IsNested() {
			out, err = schema.NewGroupNodeLogical(g.Name(), g.RepetitionType(), fields, lt, g.FieldID())
		} else {
			out, err = schema.NewGroupNodeConverted(g.Name(), g.RepetitionType(), fields, ct, g.FieldID())
		}
		if err != nil {
			return n
		}
		return out
	}
	root := rebuild(sc.Root(), "")
	if len(fixed) == 0 {
		return sc, nil
	}
	return schema.NewSchema(root.(*schema.GroupNode)), fixed
}

func isOptionalKeyMap(g *schema.GroupNode) bool {
	if _, isMap := g.LogicalType().(schema.MapLogicalType); !isMap && g.ConvertedType() != schema.ConvertedTypes.Map {
		return false
	}
	if g.NumFields() != 1 {
		return false
	}
	kv, ok := g.Field(0).(*schema.GroupNode)
	return ok && kv.RepetitionType() == parquet.Repetitions.Repeated && kv.NumFields() == 2 &&
		kv.Field(0).RepetitionType() == parquet.Repetitions.Optional
}
