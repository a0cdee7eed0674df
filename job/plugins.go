package job

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/ferrydata/ferry"
	"github.com/ferrydata/ferry/internal/sqlident"
	"github.com/ferrydata/ferry/internal/sqlsource"
)

// readerSide is what a reader plugin reads: its parts and, when the job
// lists columns, the value of each position (To not yet set).
type readerSide struct {
	parts []Endpoint
	cols  []MapColumn // nil: every column the source has (`*`)
}

// writerSide is where a writer plugin writes and the destination columns
// the job lists (nil: not listed, or `*`).
type writerSide struct {
	dest Endpoint
	cols []string
}

// The DataX plugins Ferry runs, and the Ferry connectors usable under
// their own names (with a "url" or "datasource" parameter).
var (
	rdbmsDialects = map[string]string{
		"mysql": "mysql", "postgresql": "postgresql", "sqlserver": "sqlserver", "sqlite": "sqlite",
	}
	ferryReaders = map[string]bool{"csvreader": true, "jsonlreader": true, "parquetreader": true, "pgreader": true, "sqlitereader": true}
	ferryWriters = map[string]bool{"csvwriter": true, "jsonlwriter": true, "parquetwriter": true, "pgwriter": true, "sqlitewriter": true}
)

// ReaderPlugins and WriterPlugins list the plugin names a job may use.
func ReaderPlugins() []string {
	return []string{"mysqlreader", "postgresqlreader", "sqlserverreader", "sqlitereader", "txtfilereader", "streamreader", "csvreader", "jsonlreader", "parquetreader", "pgreader"}
}

// WriterPlugins lists the writer plugin names a job may use.
func WriterPlugins() []string {
	return []string{"mysqlwriter", "postgresqlwriter", "sqlserverwriter", "sqlitewriter", "txtfilewriter", "streamwriter", "csvwriter", "jsonlwriter", "parquetwriter", "pgwriter"}
}

// schemesOf lists the URL schemes a plugin's URL may have (for data
// sources from the catalog).
func schemesOf(plugin string) []string {
	base := strings.TrimSuffix(strings.TrimSuffix(plugin, "reader"), "writer")
	switch base {
	case "mysql":
		return []string{"mysql", "mariadb"}
	case "postgresql", "pg":
		return []string{"postgres", "postgresql"}
	case "sqlserver":
		return []string{"sqlserver"}
	case "sqlite":
		return []string{"sqlite", "sqlite3"}
	case "txtfile", "csv":
		return []string{"csv"}
	}
	return nil
}

func readerPlugin(j *Job, name string, p *obj, channels int) (readerSide, error) {
	base := strings.TrimSuffix(name, "reader")
	switch {
	case name == "txtfilereader":
		return txtfileReader(j, p)
	case name == "streamreader":
		return streamReader(j, p, channels)
	case rdbmsDialects[base] != "" && (name != "sqlitereader" || p.has("connection")):
		if err := available(name, rdbmsDialects[base], true); err != nil {
			return readerSide{}, err
		}
		return rdbmsReader(j, name, rdbmsDialects[base], p)
	case ferryReaders[name]:
		return urlReader(j, name, p)
	}
	return readerSide{}, fmt.Errorf("job: unknown reader plugin %q (Ferry runs %s)", name, strings.Join(ReaderPlugins(), ", "))
}

func writerPlugin(j *Job, name string, p *obj) (writerSide, error) {
	base := strings.TrimSuffix(name, "writer")
	switch {
	case name == "txtfilewriter":
		return txtfileWriter(j, p)
	case name == "streamwriter":
		return streamWriter(j, p)
	case rdbmsDialects[base] != "" && (name != "sqlitewriter" || p.has("connection")):
		if err := available(name, rdbmsDialects[base], false); err != nil {
			return writerSide{}, err
		}
		return rdbmsWriter(j, name, rdbmsDialects[base], p)
	case ferryWriters[name]:
		return urlWriter(j, name, p)
	}
	return writerSide{}, fmt.Errorf("job: unknown writer plugin %q (Ferry runs %s)", name, strings.Join(WriterPlugins(), ", "))
}

// available reports a plugin whose connector is not in this build (SQL
// Server until its connector lands).
func available(plugin, dialect string, reader bool) error {
	if dialect != "sqlserver" {
		return nil
	}
	schemes := ferry.DefaultURLMux().WriterSchemes()
	if reader {
		schemes = ferry.DefaultURLMux().ReaderSchemes()
	}
	if !slices.Contains(schemes, "sqlserver") {
		return fmt.Errorf("job: plugin %s: the SQL Server connector is not available in this build", plugin)
	}
	return nil
}

func dialectOf(d string) sqlident.Dialect {
	switch d {
	case "mysql":
		return sqlident.MySQL
	case "sqlserver":
		return sqlident.SQLServer
	case "sqlite":
		return sqlident.SQLite
	}
	return sqlident.PostgreSQL
}

// envType is DataWorks' environment of a data source: 0 production,
// 1 development.
func envType(p *obj) (string, error) {
	n, ok, err := p.integer("envType")
	if err != nil || !ok {
		return "", err
	}
	switch n {
	case 0:
		return EnvProd, nil
	case 1:
		return EnvDev, nil
	}
	return "", fmt.Errorf("job: %s is %d; want 0 (prod) or 1 (dev)", p.at("envType"), n)
}

// base returns the endpoint of one connection entry: its jdbcUrl list
// (failover) or its data source.
func connEndpoint(j *Job, plugin, dialect string, c *obj, user, password, ds, env string, reader bool) (Endpoint, Params, error) {
	e := Endpoint{Plugin: plugin}
	extra := Params{}
	jdbcs, err := c.strs("jdbcUrl")
	if err != nil {
		return e, nil, err
	}
	cds, err := c.str("datasource")
	if err != nil {
		return e, nil, err
	}
	if cds == "" {
		cds = ds
	}
	switch {
	case len(jdbcs) > 0:
		if !reader && len(jdbcs) > 1 {
			return e, nil, fmt.Errorf("job: %s: a writer takes one jdbcUrl", c.at("jdbcUrl"))
		}
		for i, s := range jdbcs {
			ju, err := fromJDBC(s, user, password)
			if err != nil {
				return e, nil, fmt.Errorf("job: %s[%d]: %w", c.at("jdbcUrl"), i, err)
			}
			if ju.dialect != dialect {
				return e, nil, fmt.Errorf("job: %s[%d]: a %s URL in plugin %s", c.at("jdbcUrl"), i, ju.dialect, plugin)
			}
			for _, w := range ju.warnings {
				j.warn("%s: %s", c.at("jdbcUrl"), w)
			}
			if reader {
				for k, v := range ju.readerParams {
					extra[k] = v
				}
			}
			if i == 0 {
				e.URL = ju.url
			} else {
				e.Failover = append(e.Failover, ju.url)
			}
		}
	case cds != "":
		e.Datasource, e.Env = cds, env
	default:
		return e, nil, fmt.Errorf("job: %s needs a jdbcUrl or a datasource", c.path)
	}
	return e, extra, nil
}

func rdbmsReader(j *Job, plugin, dialect string, p *obj) (readerSide, error) {
	var rs readerSide
	user, err := p.str("username")
	if err != nil {
		return rs, err
	}
	password, err := p.str("password")
	if err != nil {
		return rs, err
	}
	colsRaw, err := p.strs("column")
	if err != nil {
		return rs, err
	}
	where, err := p.str("where")
	if err != nil {
		return rs, err
	}
	where = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(where), ";"))
	splitPk, err := p.str("splitPk")
	if err != nil {
		return rs, err
	}
	ds, err := p.str("datasource")
	if err != nil {
		return rs, err
	}
	env, err := envType(p)
	if err != nil {
		return rs, err
	}
	if err := scenarioKeys(j, p); err != nil { // Ferry's extensions: cursor, sourceColumns, maxPerSource
		return rs, err
	}
	p.accept("Ferry sizes batches and splits itself", "fetchSize", "splitFactor")
	p.accept("it has no effect in Ferry", "checkSlave", "mandatoryEncoding", "hint", "encoding", "useSpecialSecret", "splitMode")
	if sess, _ := p.strs("session"); len(sess) > 0 {
		j.warn("%s: the readers do not run session statements; ignored: %s", p.at("session"), strings.Join(sess, "; "))
	}
	if err := p.reject("a reader's preSql (a readiness check) is not supported", "preSql"); err != nil {
		return rs, err
	}
	conns, err := p.children("connection")
	if err != nil {
		return rs, err
	}
	if len(conns) == 0 && (ds != "" || p.has("table") || p.has("jdbcUrl")) {
		// DataWorks also writes the table at the parameter level.
		c, _ := newObj(j, p.path, map[string]any{})
		for _, k := range []string{"table", "jdbcUrl", "querySql"} {
			if v, ok := p.get(k); ok {
				c.m[k] = v
			}
		}
		conns = []*obj{c}
	}
	if len(conns) == 0 {
		return rs, fmt.Errorf("job: %s is required", p.at("connection"))
	}
	var cols []readerCol
	star := false
	noColumn := len(colsRaw) == 0
	if noColumn || len(colsRaw) == 1 && strings.TrimSpace(colsRaw[0]) == "*" {
		star = true
	} else {
		for _, s := range colsRaw {
			c := classify(s)
			if c.text == "*" {
				return rs, fmt.Errorf("job: %s: \"*\" must be the only column", p.at("column"))
			}
			cols = append(cols, c)
		}
	}
	hasExpr := slices.ContainsFunc(cols, func(c readerCol) bool { return c.kind == colExpr })
	d := dialectOf(dialect)
	queryMode := false
	for ci, c := range conns {
		base, extra, err := connEndpoint(j, plugin, dialect, c, user, password, ds, env, true)
		if err != nil {
			return rs, err
		}
		tablesRaw, err := c.strs("table")
		if err != nil {
			return rs, err
		}
		queries, err := c.strs("querySql")
		if err != nil {
			return rs, err
		}
		c.ignore("datasource")
		c.done()
		if len(tablesRaw) > 0 && len(queries) > 0 {
			return rs, fmt.Errorf("job: %s: table and querySql cannot be used together", c.path)
		}
		if len(tablesRaw) == 0 && len(queries) == 0 {
			return rs, fmt.Errorf("job: %s: no table (and no querySql): name the table to read", c.path)
		}
		for _, q := range queries {
			queryMode = true
			e := base
			e.Params = cloneParams(extra)
			e.Params["querySql"] = Strings{strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ";"))}
			rs.parts = append(rs.parts, e)
		}
		var tables []string
		for _, expr := range tablesRaw {
			ts, err := sqlsource.ExpandTables(expr)
			if err != nil {
				return rs, fmt.Errorf("job: %s: %w", c.at("table"), err)
			}
			tables = append(tables, ts...)
		}
		if len(tables) > 0 && noColumn {
			return rs, fmt.Errorf("job: %s is required (a list of columns, or [\"*\"])", p.at("column"))
		}
		for _, t := range tables {
			e := base
			e.Params = cloneParams(extra)
			if hasExpr {
				qt, err := d.QuoteQualified(t)
				if err != nil {
					return rs, fmt.Errorf("job: %s: %w", c.at("table"), err)
				}
				given := make([]string, len(cols))
				for i, col := range cols {
					given[i] = col.given
				}
				q := "SELECT " + strings.Join(given, ", ") + " FROM " + qt
				if where != "" {
					q += " WHERE (" + where + ")"
				}
				e.Params["querySql"] = Strings{q}
			} else {
				e.Params["table"] = Strings{t}
				var names []string
				for _, col := range cols {
					if col.kind == colName {
						names = append(names, col.text)
					}
				}
				if len(names) > 0 {
					e.Params["columns"] = Strings{strings.Join(names, ",")}
				}
				if where != "" {
					e.Params["where"] = Strings{where}
				}
				if splitPk != "" {
					e.Params["splitPk"] = Strings{splitPk}
				}
			}
			rs.parts = append(rs.parts, e)
			if len(rs.parts) > sqlsource.MaxExpandedTables {
				return rs, fmt.Errorf("job: %s: more than %d tables", p.at("connection"), sqlsource.MaxExpandedTables)
			}
		}
		_ = ci
	}
	if queryMode {
		if !noColumn && !star || where != "" || splitPk != "" {
			j.warn("%s: with querySql, column, where and splitPk are ignored (as in DataX)", p.path)
		}
		return rs, nil
	}
	if hasExpr {
		j.warn("%s: SQL expressions in column: each table is read by one query (%s), not split", p.at("column"), "SELECT <column> FROM <table>")
		if splitPk != "" {
			j.warn("%s: ignored, because column holds SQL expressions", p.at("splitPk"))
		}
		for i := range cols {
			rs.cols = append(rs.cols, MapColumn{Index: intp(i)})
		}
		return rs, nil
	}
	if star {
		return rs, nil
	}
	k := 0
	for _, col := range cols {
		switch col.kind {
		case colName:
			rs.cols = append(rs.cols, MapColumn{Index: intp(k), From: ""})
			k++
		case colNull:
			rs.cols = append(rs.cols, MapColumn{Null: true})
		case colConst:
			v := col.text
			rs.cols = append(rs.cols, MapColumn{Value: &v, Type: col.typ})
		}
	}
	return rs, nil
}

func intp(i int) *int { return &i }

func cloneParams(p Params) Params {
	out := make(Params, len(p)+4)
	for k, v := range p {
		out[k] = v
	}
	return out
}

// writeMode maps DataX's and DataWorks' writeMode onto Ferry's.
func writeMode(s string) (ferry.WriteMode, error) {
	switch strings.ToLower(strings.Join(strings.Fields(s), " ")) {
	case "", "insert", "insert into":
		return ferry.ModeInsert, nil
	case "replace", "replace into":
		return ferry.ModeReplace, nil
	case "update", "on duplicate key update", "upsert":
		return ferry.ModeUpsert, nil
	}
	return ferry.ParseWriteMode(s)
}

func rdbmsWriter(j *Job, plugin, dialect string, p *obj) (writerSide, error) {
	var ws writerSide
	user, err := p.str("username")
	if err != nil {
		return ws, err
	}
	password, err := p.str("password")
	if err != nil {
		return ws, err
	}
	cols, err := p.strs("column")
	if err != nil {
		return ws, err
	}
	if len(cols) == 0 {
		return ws, fmt.Errorf("job: %s is required (the destination columns, or [\"*\"])", p.at("column"))
	}
	modeStr, err := p.str("writeMode")
	if err != nil {
		return ws, err
	}
	mode, err := writeMode(modeStr)
	if err != nil {
		return ws, fmt.Errorf("job: %s: %w", p.at("writeMode"), err)
	}
	pre, err := p.strs("preSql")
	if err != nil {
		return ws, err
	}
	post, err := p.strs("postSql")
	if err != nil {
		return ws, err
	}
	ds, err := p.str("datasource")
	if err != nil {
		return ws, err
	}
	env, err := envType(p)
	if err != nil {
		return ws, err
	}
	p.accept("Ferry sizes batches itself", "batchSize", "batchByteSize")
	p.accept("it has no effect in Ferry", "encoding", "emptyAsNull", "useSpecialSecret")
	if sess, _ := p.strs("session"); len(sess) > 0 {
		j.warn("%s: the writers do not run session statements; ignored: %s", p.at("session"), strings.Join(sess, "; "))
	}
	conns, err := p.children("connection")
	if err != nil {
		return ws, err
	}
	if len(conns) == 0 && (ds != "" || p.has("table")) {
		c, _ := newObj(j, p.path, map[string]any{})
		if v, ok := p.get("table"); ok {
			c.m["table"] = v
		}
		conns = []*obj{c}
	}
	if len(conns) != 1 {
		return ws, fmt.Errorf("job: %s must hold exactly one connection (writing several tables 1:1 with reader tasks is not supported)", p.at("connection"))
	}
	c := conns[0]
	e, _, err := connEndpoint(j, plugin, dialect, c, user, password, ds, env, false)
	if err != nil {
		return ws, err
	}
	tablesRaw, err := c.strs("table")
	if err != nil {
		return ws, err
	}
	c.ignore("datasource")
	c.done()
	var tables []string
	for _, expr := range tablesRaw {
		ts, err := sqlsource.ExpandTables(expr)
		if err != nil {
			return ws, fmt.Errorf("job: %s: %w", c.at("table"), err)
		}
		tables = append(tables, ts...)
	}
	switch len(tables) {
	case 0:
		return ws, fmt.Errorf("job: %s: no table: name the destination table", c.path)
	case 1:
	default:
		return ws, fmt.Errorf("job: %s: %d tables; Ferry writes one destination table (several tables 1:1 with reader tasks are not supported)", c.at("table"), len(tables))
	}
	table := tables[0]
	e.Params = Params{"table": {table}}
	if mode != ferry.ModeInsert {
		e.Params["mode"] = Strings{string(mode)}
	}
	// Ferry's extension: the partition predicate of
	// writeMode partition-overwrite ("dt = '${yyyy-mm-dd}'").
	if part, err := p.str("partition"); err != nil {
		return ws, err
	} else if part != "" {
		if mode != ferry.ModePartitionOverwrite {
			return ws, fmt.Errorf("job: %s goes with writeMode partition-overwrite", p.at("partition"))
		}
		e.Params["partition"] = Strings{part}
	}
	sub := func(stmts []string) []string {
		out := make([]string, 0, len(stmts))
		for _, s := range stmts {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, strings.ReplaceAll(s, "@table", table))
			}
		}
		return out
	}
	pre, post = sub(pre), sub(post)
	if dialect == "sqlite" {
		if len(pre) > 0 {
			e.Params["preSql"] = Strings{strings.Join(pre, ";\n")}
		}
		if len(post) > 0 {
			e.Params["postSql"] = Strings{strings.Join(post, ";\n")}
		}
	} else {
		if len(pre) > 0 {
			e.Params["preSql"] = pre
		}
		if len(post) > 0 {
			e.Params["postSql"] = post
		}
	}
	ws.dest = e
	if len(cols) == 1 && strings.TrimSpace(cols[0]) == "*" {
		return ws, nil
	}
	for i, s := range cols {
		c := classify(s)
		if c.kind != colName {
			return ws, fmt.Errorf("job: %s[%d] = %q is not a column name", p.at("column"), i, s)
		}
		ws.cols = append(ws.cols, c.text)
	}
	return ws, nil
}

// urlReader is a Ferry connector named by its own plugin name: a url (or
// datasource) parameter, and the other parameters added to its query.
func urlReader(j *Job, name string, p *obj) (readerSide, error) {
	var rs readerSide
	e, cols, err := urlEndpoint(j, name, p)
	if err != nil {
		return rs, err
	}
	rs.parts = []Endpoint{e}
	if len(cols) > 0 {
		for i, c := range cols {
			rc := classify(c)
			switch rc.kind {
			case colName:
				rs.cols = append(rs.cols, MapColumn{From: rc.text})
			case colConst:
				v := rc.text
				rs.cols = append(rs.cols, MapColumn{Value: &v, Type: rc.typ})
			case colNull:
				rs.cols = append(rs.cols, MapColumn{Null: true})
			default:
				return rs, fmt.Errorf("job: %s[%d] = %q: plugin %s takes column names and constants", p.at("column"), i, c, name)
			}
		}
	}
	return rs, nil
}

func urlWriter(j *Job, name string, p *obj) (writerSide, error) {
	e, cols, err := urlEndpoint(j, name, p)
	if err != nil {
		return writerSide{}, err
	}
	return writerSide{dest: e, cols: cols}, nil
}

func urlEndpoint(j *Job, name string, p *obj) (Endpoint, []string, error) {
	e := Endpoint{Plugin: name}
	var err error
	if e.URL, err = p.str("url"); err != nil {
		return e, nil, err
	}
	if e.Datasource, err = p.str("datasource"); err != nil {
		return e, nil, err
	}
	if e.Env, err = envType(p); err != nil {
		return e, nil, err
	}
	if e.URL == "" && e.Datasource == "" {
		return e, nil, fmt.Errorf("job: %s: plugin %s needs a url (or a datasource)", p.path, name)
	}
	cols, err := p.strs("column")
	if err != nil {
		return e, nil, err
	}
	if len(cols) == 1 && cols[0] == "*" {
		cols = nil
	}
	if v, ok := p.get("writeMode"); ok {
		s, _ := scalarString(v)
		m, err := writeMode(s)
		if err != nil {
			return e, nil, fmt.Errorf("job: %s: %w", p.at("writeMode"), err)
		}
		p.m["mode"] = string(m)
	}
	e.Params = Params{}
	for _, k := range sortedKeys(p.m) {
		if p.used[k] {
			continue
		}
		vs, err := p.strs(k)
		if err != nil {
			return e, nil, err
		}
		e.Params[k] = vs
	}
	return e, cols, nil
}

// fileURL makes a csv:// URL for a local path (absolute, or relative to the
// working directory).
func fileURL(scheme, path string) (string, error) {
	if strings.Contains(path, "://") {
		return "", fmt.Errorf("path %q: only local files are supported", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: scheme, Path: filepath.ToSlash(abs)}
	s := u.String()
	if strings.HasSuffix(path, "/") && !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// DataX's txtfile types.
func dataxType(t string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "", "string":
		return "utf8", nil
	case "long", "int", "integer":
		return "int64", nil
	case "double", "float":
		return "float64", nil
	case "boolean", "bool":
		return "bool", nil
	case "date":
		return "timestamp", nil
	case "bytes":
		return "binary", nil
	}
	return "", fmt.Errorf("type %q is not string, long, double, boolean, date or bytes", t)
}

func txtfileReader(j *Job, p *obj) (readerSide, error) {
	var rs readerSide
	paths, err := p.strs("path")
	if err != nil {
		return rs, err
	}
	if len(paths) == 0 {
		return rs, fmt.Errorf("job: %s is required", p.at("path"))
	}
	delim, err := p.str("fieldDelimiter")
	if err != nil {
		return rs, err
	}
	if delim == "" {
		delim = ","
	}
	if len(delim) != 1 {
		return rs, fmt.Errorf("job: %s = %q: the delimiter must be one character", p.at("fieldDelimiter"), delim)
	}
	enc, err := p.str("encoding")
	if err != nil {
		return rs, err
	}
	skip, _, err := p.boolean("skipHeader")
	if err != nil {
		return rs, err
	}
	nullFormat := `\N`
	if v, ok := p.get("nullFormat"); ok {
		nullFormat, _ = scalarString(v)
	}
	compress, err := p.str("compress")
	if err != nil {
		return rs, err
	}
	switch c := strings.ToLower(compress); c {
	case "", "none", "gzip", "bzip2":
	case "gz":
		compress = "gzip"
	default:
		return rs, fmt.Errorf("job: %s = %q: Ferry reads gzip and bzip2 text files (not %s)", p.at("compress"), compress, c)
	}
	p.accept("Ferry's CSV parser has no such options", "csvReaderConfig")
	p.accept("it has no effect in Ferry", "fileFormat")
	params := Params{
		"header":     {strconv.FormatBool(skip)},
		"delimiter":  {delim},
		"nullString": {nullFormat},
	}
	if delim == "\t" {
		params["delimiter"] = Strings{"tab"}
	}
	if compress != "" {
		params["compress"] = Strings{strings.ToLower(compress)}
	}
	if enc != "" {
		params["encoding"] = Strings{strings.ToLower(enc)}
	}
	for _, path := range paths {
		u, err := fileURL("csv", path)
		if err != nil {
			return rs, fmt.Errorf("job: %s: %w", p.at("path"), err)
		}
		rs.parts = append(rs.parts, Endpoint{Plugin: "txtfilereader", URL: u, Params: cloneParams(params)})
	}
	colList, err := p.list("column")
	if err != nil {
		return rs, err
	}
	if len(colList) == 0 {
		return rs, fmt.Errorf("job: %s is required (column objects, or [\"*\"])", p.at("column"))
	}
	if len(colList) == 1 {
		if s, ok := colList[0].(string); ok && s == "*" {
			return rs, nil
		}
	}
	for i, cv := range colList {
		c, err := newObj(j, fmt.Sprintf("%s[%d]", p.at("column"), i), cv)
		if err != nil {
			return rs, err
		}
		typ, err := c.str("type")
		if err != nil {
			return rs, err
		}
		at, err := dataxType(typ)
		if err != nil {
			return rs, fmt.Errorf("job: %s: %w", c.at("type"), err)
		}
		format, err := c.str("format")
		if err != nil {
			return rs, err
		}
		mc := MapColumn{Type: at, Format: format}
		idx, hasIdx, err := c.integer("index")
		if err != nil {
			return rs, err
		}
		if v, ok := c.get("value"); ok {
			s, ok := scalarString(v)
			if !ok {
				return rs, fmt.Errorf("job: %s is %s; want a string", c.at("value"), jsonKind(v))
			}
			mc.Value = &s
		}
		switch {
		case hasIdx && mc.Value != nil:
			return rs, fmt.Errorf("job: %s: set index or value, not both", c.path)
		case hasIdx:
			if idx < 0 {
				return rs, fmt.Errorf("job: %s is negative", c.at("index"))
			}
			mc.Index = intp(int(idx))
		case mc.Value == nil:
			return rs, fmt.Errorf("job: %s needs an index or a value", c.path)
		}
		if at == "utf8" && mc.Index != nil {
			mc.Type = ""
		}
		c.done()
		rs.cols = append(rs.cols, mc)
	}
	return rs, nil
}

func txtfileWriter(j *Job, p *obj) (writerSide, error) {
	var ws writerSide
	dir, err := p.required("path")
	if err != nil {
		return ws, err
	}
	name, err := p.required("fileName")
	if err != nil {
		return ws, err
	}
	mode, err := p.str("writeMode")
	if err != nil {
		return ws, err
	}
	delim, err := p.str("fieldDelimiter")
	if err != nil {
		return ws, err
	}
	if delim == "" {
		delim = ","
	}
	if len(delim) != 1 {
		return ws, fmt.Errorf("job: %s = %q: the delimiter must be one character", p.at("fieldDelimiter"), delim)
	}
	if enc, _ := p.str("encoding"); enc != "" && !strings.EqualFold(strings.ReplaceAll(enc, "-", ""), "utf8") {
		return ws, fmt.Errorf("job: %s = %q: csvwriter writes UTF-8 only", p.at("encoding"), enc)
	}
	compress, err := p.str("compress")
	if err != nil {
		return ws, err
	}
	switch strings.ToLower(compress) {
	case "", "none":
		compress = ""
	case "gzip", "gz":
		compress = "gzip"
	default:
		return ws, fmt.Errorf("job: %s = %q: Ferry writes gzip text files (not %s)", p.at("compress"), compress, compress)
	}
	nullFormat := `\N`
	if v, ok := p.get("nullFormat"); ok {
		nullFormat, _ = scalarString(v)
	}
	header, err := p.strs("header")
	if err != nil {
		return ws, err
	}
	p.accept("Ferry writes dates as yyyy-MM-dd and timestamps as yyyy-MM-dd HH:mm:ss.SSSSSS", "dateFormat")
	p.accept("Ferry writes CSV (fields quoted where needed)", "fileFormat")
	p.accept("it has no effect in Ferry", "suffix", "fileSize")
	file := filepath.Join(dir, name)
	params := Params{
		"header":     {strconv.FormatBool(len(header) > 0)},
		"delimiter":  {delim},
		"nullString": {nullFormat},
	}
	if delim == "\t" {
		params["delimiter"] = Strings{"tab"}
	}
	if compress != "" {
		params["compress"] = Strings{compress}
	}
	e := Endpoint{Plugin: "txtfilewriter", Params: params}
	switch strings.ToLower(mode) {
	case "truncate":
		params["mode"] = Strings{"overwrite"}
	case "append":
		// DataX names each run's file fileName__<uuid>; so does Ferry.
		file = filepath.Join(dir, name+"__"+newUUID())
	case "nonconflict":
		e.nonConflict = filepath.Join(dir, name)
	case "":
		return ws, fmt.Errorf("job: %s is required (truncate, append or nonConflict)", p.at("writeMode"))
	default:
		return ws, fmt.Errorf("job: %s = %q: want truncate, append or nonConflict", p.at("writeMode"), mode)
	}
	if e.URL, err = fileURL("csv", file); err != nil {
		return ws, fmt.Errorf("job: %s: %w", p.at("path"), err)
	}
	ws.dest = e
	ws.cols = header
	return ws, nil
}

func streamReader(j *Job, p *obj, channels int) (readerSide, error) {
	var rs readerSide
	cols, err := p.list("column")
	if err != nil {
		return rs, err
	}
	if len(cols) == 0 {
		return rs, fmt.Errorf("job: %s is required", p.at("column"))
	}
	colJSON, err := json.Marshal(cols)
	if err != nil {
		return rs, err
	}
	n, ok, err := p.integer("sliceRecordCount")
	if err != nil {
		return rs, err
	}
	if !ok {
		return rs, fmt.Errorf("job: %s is required", p.at("sliceRecordCount"))
	}
	p.accept("it has no effect in Ferry", "haveMixupFunction", "encoding")
	if channels < 1 {
		channels = 1
	}
	rs.parts = []Endpoint{{Plugin: "streamreader", URL: "stream:///", Params: Params{
		"column":           {string(colJSON)},
		"sliceRecordCount": {strconv.FormatInt(n, 10)},
		"slices":           {strconv.Itoa(channels)},
	}}}
	return rs, nil
}

func streamWriter(j *Job, p *obj) (writerSide, error) {
	print, hasPrint, err := p.boolean("print")
	if err != nil {
		return writerSide{}, err
	}
	if !hasPrint {
		print = true
	}
	delim := "\t"
	if v, ok := p.get("fieldDelimiter"); ok {
		delim, _ = scalarString(v)
	}
	if enc, _ := p.str("encoding"); enc != "" && !strings.EqualFold(strings.ReplaceAll(enc, "-", ""), "utf8") {
		return writerSide{}, fmt.Errorf("job: %s = %q: streamwriter prints UTF-8 only", p.at("encoding"), enc)
	}
	p.accept("Ferry does not sleep between records (use setting.speed)", "recordNumBeforeSleep", "sleepTime")
	return writerSide{dest: Endpoint{Plugin: "streamwriter", URL: "stream://stdout", Params: Params{
		"print":          {strconv.FormatBool(print)},
		"fieldDelimiter": {delim},
	}}}, nil
}

func newUUID() string { return uuid.NewString() }
