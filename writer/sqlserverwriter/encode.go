package sqlserverwriter

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/google/uuid"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/ferrydata/ferry/internal/mssqlx"
)

// encodeFunc returns the value at i (not NULL) of an array of the field's
// type as go-mssqldb takes it for the destination column: int64 for
// integer columns, float32/float64, bool, the decimal text for decimal and
// money, string for nvarchar/xml (and for varchar on the INSERT path),
// the bytes in the column's code page for varchar on the bulk path,
// []byte for binary and (in SQL Server's byte order) uniqueidentifier,
// time.Time in UTC for every date and time column. A value the column
// cannot hold exactly is an error (the row is dirty), never rounded away,
// except where the column's own type rounds (datetime to 1/300 s,
// smalldatetime to the minute), as the server does on any INSERT.
type encodeFunc func(a arrow.Array, i int) (any, error)

// codec is what the encoder knows of a destination column.
type codec struct {
	col    mssqlx.Column
	kind   mssqlx.Kind
	insert bool // the INSERT path (strings are sent as nvarchar)
}

// decimal returns the precision and scale values of a decimal, money or
// smallmoney column are checked against (money's range is checked apart).
func (c codec) decimal() (prec, scale int32) {
	if c.kind != mssqlx.KindDecimal {
		return 19, 4
	}
	return int32(c.col.Precision), int32(c.col.Scale)
}

// newEncoder returns the encoder of field f into column c; a value longer
// than a bounded character or binary column is dirty (the server would
// refuse it, and go-mssqldb's bulk copy cannot even send one over 64 KiB).
func newEncoder(f arrow.Field, c codec) (encodeFunc, error) {
	e, err := newValueEncoder(f, c)
	if err != nil || c.col.MaxLength <= 0 || (c.kind != mssqlx.KindString && c.kind != mssqlx.KindBinary) {
		return e, err
	}
	switch c.col.Type {
	case "text", "ntext", "image":
		return e, nil // max_length is the 16-byte text pointer
	}
	return func(a arrow.Array, i int) (any, error) {
		v, err := e(a, i)
		if err != nil {
			return nil, err
		}
		if n := encodedLen(v, c.col); n > c.col.MaxLength {
			return nil, fmt.Errorf("a value of %d bytes is longer than %s (String or binary data would be truncated)", n, c.col.Decl())
		}
		return v, nil
	}, nil
}

// encodedLen is the bytes v takes in column c: UTF-16 for nchar/nvarchar,
// the column's code page for char/varchar, the bytes for binary.
func encodedLen(v any, c mssqlx.Column) int {
	switch v := v.(type) {
	case []byte:
		return len(v)
	case string:
		if c.Type == "nchar" || c.Type == "nvarchar" || c.Type == "sysname" {
			n := 0
			for _, r := range v {
				n += 2
				if r > 0xFFFF {
					n += 2
				}
			}
			return n
		}
		if b, err := varcharBytes(v, c.CodePage); err == nil {
			return len(b)
		}
		return len(v)
	}
	return 0
}

func newValueEncoder(f arrow.Field, c codec) (encodeFunc, error) {
	bad := func() (encodeFunc, error) {
		return nil, fmt.Errorf("column %s: cannot write Arrow %s into %s", f.Name, f.Type, c.col.Decl())
	}
	t := f.Type
	if ext, ok := t.(arrow.ExtensionType); ok {
		switch ext.ExtensionName() {
		case "arrow.uuid":
			return uuidEncoder(c)
		case "arrow.json":
			t = ext.StorageType()
			if c.kind != mssqlx.KindString && c.kind != mssqlx.KindJSON {
				return bad()
			}
			return stringEncoder(c, func(a arrow.Array, i int) string {
				return a.(array.ExtensionArray).Storage().(*array.String).Value(i)
			})
		default:
			return bad()
		}
	}
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return intEncoder(c, func(a arrow.Array, i int) (int64, bool) {
			switch a := a.(type) {
			case *array.Int8:
				return int64(a.Value(i)), true
			case *array.Int16:
				return int64(a.Value(i)), true
			case *array.Int32:
				return int64(a.Value(i)), true
			case *array.Int64:
				return a.Value(i), true
			}
			return 0, false
		}, nil)
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return intEncoder(c, nil, func(a arrow.Array, i int) uint64 {
			switch a := a.(type) {
			case *array.Uint8:
				return uint64(a.Value(i))
			case *array.Uint16:
				return uint64(a.Value(i))
			case *array.Uint32:
				return uint64(a.Value(i))
			}
			return a.(*array.Uint64).Value(i)
		})
	case arrow.FLOAT32, arrow.FLOAT64:
		return floatEncoder(c, t.ID() == arrow.FLOAT32)
	case arrow.DECIMAL128, arrow.DECIMAL256:
		return decimalEncoder(c, t)
	case arrow.BOOL:
		if c.kind != mssqlx.KindBit {
			return bad()
		}
		return func(a arrow.Array, i int) (any, error) { return a.(*array.Boolean).Value(i), nil }, nil
	case arrow.STRING:
		return stringEncoder(c, func(a arrow.Array, i int) string { return a.(*array.String).Value(i) })
	case arrow.LARGE_STRING:
		return stringEncoder(c, func(a arrow.Array, i int) string { return a.(*array.LargeString).Value(i) })
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		if c.kind != mssqlx.KindBinary {
			return bad()
		}
		return func(a arrow.Array, i int) (any, error) {
			var v []byte
			switch a := a.(type) {
			case *array.Binary:
				v = a.Value(i)
			case *array.LargeBinary:
				v = a.Value(i)
			default:
				v = a.(*array.FixedSizeBinary).Value(i)
			}
			if v == nil {
				v = []byte{} // empty, not NULL: the driver sends nil as NULL
			}
			return v, nil
		}, nil
	case arrow.DATE32, arrow.DATE64:
		return timeEncoder(c, f, func(a arrow.Array, i int) time.Time {
			if d, ok := a.(*array.Date32); ok {
				return d.Value(i).ToTime()
			}
			return a.(*array.Date64).Value(i).ToTime()
		}, false, true)
	case arrow.TIME32, arrow.TIME64:
		if c.kind != mssqlx.KindTime {
			return bad()
		}
		return func(a arrow.Array, i int) (any, error) {
			var ns int64
			switch a := a.(type) {
			case *array.Time32:
				ns = int64(a.Value(i)) * int64(a.DataType().(*arrow.Time32Type).Unit.Multiplier())
			case *array.Time64:
				ns = int64(a.Value(i)) * int64(a.DataType().(*arrow.Time64Type).Unit.Multiplier())
			}
			if ns < 0 || ns >= 24*int64(time.Hour) {
				return nil, fmt.Errorf("time of day %d ns is outside 00:00..24:00: %w", ns, mssqlx.ErrRange)
			}
			if mssqlx.TimeScaleLoss(int(ns%1e9), c.col.Scale) {
				return nil, fmt.Errorf("%s has digits below %s's scale %d", time.Duration(ns), c.col.Decl(), c.col.Scale)
			}
			return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ns)), nil
		}, nil
	case arrow.TIMESTAMP:
		tt := t.(*arrow.TimestampType)
		return timeEncoder(c, f, func(a arrow.Array, i int) time.Time {
			return a.(*array.Timestamp).Value(i).ToTime(tt.Unit)
		}, tt.TimeZone != "", false)
	}
	return bad()
}

func intEncoder(c codec, signed func(arrow.Array, int) (int64, bool), unsigned func(arrow.Array, int) uint64) (encodeFunc, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch c.kind {
	case mssqlx.KindTinyInt:
		lo, hi = 0, math.MaxUint8
	case mssqlx.KindSmallInt:
		lo, hi = math.MinInt16, math.MaxInt16
	case mssqlx.KindInt:
		lo, hi = math.MinInt32, math.MaxInt32
	case mssqlx.KindBigInt:
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney, mssqlx.KindString, mssqlx.KindReal, mssqlx.KindFloat, mssqlx.KindBit:
	default:
		return nil, fmt.Errorf("column %s: cannot write an integer into %s", c.col.Name, c.col.Decl())
	}
	text := func(a arrow.Array, i int) string {
		if signed != nil {
			n, _ := signed(a, i)
			return strconv.FormatInt(n, 10)
		}
		return strconv.FormatUint(unsigned(a, i), 10)
	}
	switch c.kind {
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney:
		prec, scale := c.decimal()
		return func(a arrow.Array, i int) (any, error) {
			s := text(a, i)
			n, err := mssqlx.ParseDecimal([]byte(s), 38, 0)
			if err == nil {
				n, err = mssqlx.Rescale(n, 0, scale, prec)
			}
			if err == nil && c.kind != mssqlx.KindDecimal {
				err = mssqlx.CheckMoney(n, c.kind == mssqlx.KindSmallMoney)
			}
			if err != nil {
				return nil, err
			}
			return s, nil
		}, nil
	case mssqlx.KindString:
		return func(a arrow.Array, i int) (any, error) { return text(a, i), nil }, nil
	case mssqlx.KindReal, mssqlx.KindFloat:
		single := c.kind == mssqlx.KindReal || c.col.Precision <= 24
		return func(a arrow.Array, i int) (any, error) {
			var f float64
			var exact bool
			if signed != nil {
				n, _ := signed(a, i)
				f = float64(n)
				exact = f < 9.3e18 && f > -9.3e18 && int64(f) == n
			} else {
				u := unsigned(a, i)
				f = float64(u)
				exact = f < 1.8e19 && uint64(f) == u
			}
			if single {
				exact = exact && float64(float32(f)) == f
			}
			if !exact {
				return nil, fmt.Errorf("integer %s is not exact in %s", text(a, i), c.col.Decl())
			}
			if single {
				return float32(f), nil
			}
			return f, nil
		}, nil
	case mssqlx.KindBit:
		return func(a arrow.Array, i int) (any, error) {
			s := text(a, i)
			if s != "0" && s != "1" {
				return nil, fmt.Errorf("integer %s into bit (want 0 or 1)", s)
			}
			return s == "1", nil
		}, nil
	}
	return func(a arrow.Array, i int) (any, error) {
		if signed != nil {
			n, _ := signed(a, i)
			if n < lo || n > hi {
				return nil, fmt.Errorf("%d is outside %s's %d..%d: %w", n, c.col.Decl(), lo, hi, mssqlx.ErrRange)
			}
			return n, nil
		}
		u := unsigned(a, i)
		if u > uint64(hi) {
			return nil, fmt.Errorf("%d is outside %s's %d..%d: %w", u, c.col.Decl(), lo, hi, mssqlx.ErrRange)
		}
		return int64(u), nil
	}, nil
}

func floatEncoder(c codec, from32 bool) (encodeFunc, error) {
	get := func(a arrow.Array, i int) float64 {
		if from32 {
			return float64(a.(*array.Float32).Value(i))
		}
		return a.(*array.Float64).Value(i)
	}
	switch c.kind {
	case mssqlx.KindReal, mssqlx.KindFloat:
		single := c.kind == mssqlx.KindReal || c.col.Precision <= 24
		return func(a arrow.Array, i int) (any, error) {
			f := get(a, i)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%v: SQL Server's %s holds no NaN or infinity", f, c.col.Decl())
			}
			if single {
				if float64(float32(f)) != f {
					return nil, fmt.Errorf("%v is not exact in %s (a 4-byte float)", f, c.col.Decl())
				}
				return float32(f), nil
			}
			return f, nil
		}, nil
	case mssqlx.KindDecimal:
		prec, scale := int32(c.col.Precision), int32(c.col.Scale)
		return func(a arrow.Array, i int) (any, error) {
			f := get(a, i)
			n, err := decimal128.FromFloat64(f, prec, scale)
			if err != nil || n.ToFloat64(scale) != f {
				return nil, fmt.Errorf("%v is not exact in %s", f, c.col.Decl())
			}
			return mssqlx.FormatDecimal(n, scale), nil
		}, nil
	case mssqlx.KindString:
		return func(a arrow.Array, i int) (any, error) {
			return strconv.FormatFloat(get(a, i), 'g', -1, map[bool]int{true: 32, false: 64}[from32]), nil
		}, nil
	}
	return nil, fmt.Errorf("column %s: cannot write a float into %s", c.col.Name, c.col.Decl())
}

func decimalEncoder(c codec, t arrow.DataType) (encodeFunc, error) {
	var from int32
	var get func(a arrow.Array, i int) (decimal128.Num, error)
	switch dt := t.(type) {
	case *arrow.Decimal128Type:
		from = dt.Scale
		get = func(a arrow.Array, i int) (decimal128.Num, error) { return a.(*array.Decimal128).Value(i), nil }
	case *arrow.Decimal256Type:
		from = dt.Scale
		get = func(a arrow.Array, i int) (decimal128.Num, error) {
			v := a.(*array.Decimal256).Value(i)
			bi := v.BigInt()
			if bi.BitLen() > 127 {
				return decimal128.Num{}, fmt.Errorf("%s has more than 38 digits: %w", v.ToString(from), mssqlx.ErrRange)
			}
			return decimal128.FromBigInt(bi), nil
		}
	}
	if from > 38 {
		return nil, fmt.Errorf("column %s: scale %d is more than SQL Server's 38", c.col.Name, from)
	}
	switch c.kind {
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney:
		prec, scale := c.decimal()
		return func(a arrow.Array, i int) (any, error) {
			v, err := get(a, i)
			if err != nil {
				return nil, err
			}
			n, err := mssqlx.Rescale(v, from, scale, prec)
			if err == nil && c.kind != mssqlx.KindDecimal {
				err = mssqlx.CheckMoney(n, c.kind == mssqlx.KindSmallMoney)
			}
			if err != nil {
				return nil, err
			}
			return mssqlx.FormatDecimal(n, scale), nil
		}, nil
	case mssqlx.KindString:
		return func(a arrow.Array, i int) (any, error) {
			v, err := get(a, i)
			if err != nil {
				return nil, err
			}
			return v.ToString(from), nil
		}, nil
	case mssqlx.KindFloat:
		return func(a arrow.Array, i int) (any, error) {
			v, err := get(a, i)
			if err != nil {
				return nil, err
			}
			return v.ToFloat64(from), nil
		}, nil
	}
	return nil, fmt.Errorf("column %s: cannot write a decimal into %s", c.col.Name, c.col.Decl())
}

// codePages maps the code pages of SQL Server collations to encoders.
var codePages = map[int]encoding.Encoding{
	874: charmap.Windows874, 1250: charmap.Windows1250, 1251: charmap.Windows1251, 1252: charmap.Windows1252,
	1253: charmap.Windows1253, 1254: charmap.Windows1254, 1255: charmap.Windows1255, 1256: charmap.Windows1256,
	1257: charmap.Windows1257, 1258: charmap.Windows1258, 932: japanese.ShiftJIS, 936: simplifiedchinese.GBK,
	949: korean.EUCKR, 950: traditionalchinese.Big5,
}

// varcharBytes returns s in code page cp, or an error naming the first
// character the code page lacks (SQL Server would store '?').
func varcharBytes(s string, cp int) ([]byte, error) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii || cp == 65001 {
		return append([]byte{}, s...), nil // never nil: nil is NULL to the driver
	}
	enc, ok := codePages[cp]
	if !ok {
		return nil, fmt.Errorf("non-ASCII text into a varchar column of code page %d, which Ferry cannot encode (use nvarchar or a _UTF8 collation)", cp)
	}
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		for _, r := range s {
			if _, err := enc.NewEncoder().String(string(r)); err != nil {
				return nil, fmt.Errorf("character %q has no code in the column's code page %d (SQL Server would store '?'; use nvarchar or a _UTF8 collation)", r, cp)
			}
		}
		return nil, err
	}
	return b, nil
}

func stringEncoder(c codec, get func(arrow.Array, int) string) (encodeFunc, error) {
	switch c.kind {
	case mssqlx.KindString:
		if c.col.Type == "char" || c.col.Type == "varchar" || c.col.Type == "text" {
			cp := c.col.CodePage
			return func(a arrow.Array, i int) (any, error) {
				s := get(a, i)
				b, err := varcharBytes(s, cp)
				if err != nil {
					return nil, err
				}
				if c.insert {
					return s, nil // sent as nvarchar, converted exactly by the server
				}
				return b, nil
			}, nil
		}
		return func(a arrow.Array, i int) (any, error) { return get(a, i), nil }, nil
	case mssqlx.KindXML, mssqlx.KindJSON:
		return func(a arrow.Array, i int) (any, error) { return get(a, i), nil }, nil
	case mssqlx.KindGUID:
		return func(a arrow.Array, i int) (any, error) {
			u, err := uuid.Parse(get(a, i))
			if err != nil {
				return nil, fmt.Errorf("not a uniqueidentifier: %w", err)
			}
			w := mssqlx.GUIDSwap(u)
			return w[:], nil
		}, nil
	case mssqlx.KindDecimal, mssqlx.KindMoney, mssqlx.KindSmallMoney:
		prec, scale := c.decimal()
		return func(a arrow.Array, i int) (any, error) {
			n, err := mssqlx.ParseDecimal([]byte(get(a, i)), prec, scale)
			if err == nil && c.kind != mssqlx.KindDecimal {
				err = mssqlx.CheckMoney(n, c.kind == mssqlx.KindSmallMoney)
			}
			if err != nil {
				return nil, err
			}
			return mssqlx.FormatDecimal(n, scale), nil
		}, nil
	}
	return nil, fmt.Errorf("column %s: cannot write a string into %s", c.col.Name, c.col.Decl())
}

func uuidEncoder(c codec) (encodeFunc, error) {
	switch c.kind {
	case mssqlx.KindGUID:
		return func(a arrow.Array, i int) (any, error) {
			w := mssqlx.GUIDSwap(a.(*extensions.UUIDArray).Value(i))
			return w[:], nil
		}, nil
	case mssqlx.KindString:
		return func(a arrow.Array, i int) (any, error) { return a.(*extensions.UUIDArray).Value(i).String(), nil }, nil
	case mssqlx.KindBinary:
		return func(a arrow.Array, i int) (any, error) {
			u := a.(*extensions.UUIDArray).Value(i)
			return u[:], nil
		}, nil
	}
	return nil, fmt.Errorf("column %s: cannot write a uuid into %s", c.col.Name, c.col.Decl())
}

// timeEncoder writes dates, timestamps and instants. An instant (zoned)
// into a zone-less column is written as its UTC wall clock (Ferry's
// destination zone is UTC); a zone-less value into datetimeoffset gets the
// offset +00:00.
func timeEncoder(c codec, f arrow.Field, get func(arrow.Array, int) time.Time, instant, date bool) (encodeFunc, error) {
	switch c.kind {
	case mssqlx.KindDate:
		return func(a arrow.Array, i int) (any, error) {
			t := get(a, i).UTC()
			if t.Truncate(24*time.Hour) != t || t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
				return nil, fmt.Errorf("%s has a time of day; a date column would drop it", t.Format(time.RFC3339Nano))
			}
			if err := mssqlx.CheckDate2(t); err != nil {
				return nil, err
			}
			return t, nil
		}, nil
	case mssqlx.KindDateTime2, mssqlx.KindDateTimeOffset:
		scale := c.col.Scale
		return func(a arrow.Array, i int) (any, error) {
			t := get(a, i).UTC()
			if err := mssqlx.CheckDate2(t); err != nil {
				return nil, err
			}
			if mssqlx.TimeScaleLoss(t.Nanosecond(), scale) {
				return nil, fmt.Errorf("%s has digits below %s's scale %d", t.Format(time.RFC3339Nano), c.col.Decl(), scale)
			}
			return t, nil
		}, nil
	case mssqlx.KindDateTime:
		return func(a arrow.Array, i int) (any, error) { return mssqlx.RoundDateTime(get(a, i).UTC()) }, nil
	case mssqlx.KindSmallDateTime:
		return func(a arrow.Array, i int) (any, error) { return mssqlx.RoundSmallDateTime(get(a, i).UTC()) }, nil
	}
	return nil, fmt.Errorf("column %s: cannot write Arrow %s into %s", f.Name, f.Type, c.col.Decl())
}
