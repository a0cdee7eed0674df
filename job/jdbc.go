package job

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrydata/ferry/internal/urlparam"
)

// jdbcURL is a DataX jdbcUrl turned into a Ferry URL.
type jdbcURL struct {
	url          string
	dialect      string // mysql, postgresql, sqlserver, sqlite
	warnings     []string
	readerParams Params // parameters only a reader takes (zeroDate)
}

// fromJDBC converts jdbc:mysql://, jdbc:mariadb://, jdbc:postgresql://,
// jdbc:sqlserver:// and jdbc:sqlite: URLs, with username and password, into
// Ferry URLs. JDBC options Ferry has an equivalent for are translated; the
// others are dropped with a warning.
func fromJDBC(jdbc, user, password string) (jdbcURL, error) {
	s := strings.TrimSpace(jdbc)
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "jdbc:mysql://"), strings.HasPrefix(low, "jdbc:mariadb://"):
		return mysqlJDBC(s[strings.Index(s, "//")+2:], user, password)
	case strings.HasPrefix(low, "jdbc:postgresql://"):
		return pgJDBC(s[len("jdbc:postgresql://"):], user, password)
	case strings.HasPrefix(low, "jdbc:sqlserver://"):
		return sqlserverJDBC(s[len("jdbc:sqlserver://"):], user, password)
	case strings.HasPrefix(low, "jdbc:sqlite:"):
		p := s[len("jdbc:sqlite:"):]
		p = strings.TrimPrefix(p, "//")
		return jdbcURL{url: (&url.URL{Scheme: "sqlite", Path: p}).String(), dialect: "sqlite"}, nil
	case strings.HasPrefix(low, "jdbc:"):
		kind := strings.SplitN(low[5:], ":", 2)[0]
		return jdbcURL{}, fmt.Errorf("jdbcUrl %q: the %s JDBC driver has no Ferry connector (want jdbc:mysql, jdbc:postgresql, jdbc:sqlserver or jdbc:sqlite)", s, kind)
	}
	return jdbcURL{}, fmt.Errorf("jdbcUrl %q does not start with jdbc:", s)
}

func (j *jdbcURL) warnDropped(keys []string) {
	if len(keys) > 0 {
		j.warnings = append(j.warnings, fmt.Sprintf("jdbcUrl options %s have no Ferry equivalent and are ignored", strings.Join(keys, ", ")))
	}
}

func userInfo(user, password string) *url.Userinfo {
	switch {
	case user == "" && password == "":
		return nil
	case password == "":
		return url.User(user)
	}
	return url.UserPassword(user, password)
}

func splitHostQuery(rest string) (hostPath, query string) {
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		return rest[:i], rest[i+1:]
	}
	return rest, ""
}

// Options that only tune the JDBC driver and have no effect on what Ferry
// reads or writes: dropped silently.
var jdbcNoops = map[string]bool{
	"useunicode": true, "characterencoding": true, "autoreconnect": true, "rewritebatchedstatements": true,
	"usecursorfetch": true, "allowmultiqueries": true, "usecompression": false, "failoverreadonly": true,
	"maxreconnects": true, "initialtimeout": true, "yearisdatetype": true, "tinyint1isbit": true,
	"usessl": false, "verifyservercertificate": true, "requiressl": false, "allowpublickeyretrieval": true,
	"servertimezone": true, "usejdbccomplianttimezoneshift": true, "uselegacydatetimecode": true,
	"usetimezone": true, "sockettimeout": false, "connecttimeout": false, "zerodatetimebehavior": false,
	"prepareThreshold": true, "stringtype": true, "loglevel": true, "tcpkeepalive": true,
}

func mysqlJDBC(rest, user, password string) (jdbcURL, error) {
	hostPath, query := splitHostQuery(rest)
	host, db, _ := strings.Cut(hostPath, "/")
	if strings.Contains(host, ",") {
		return jdbcURL{}, fmt.Errorf("jdbcUrl with several hosts (%s): give each as its own jdbcUrl entry (a reader's jdbcUrl list is a failover list)", host)
	}
	out := jdbcURL{dialect: "mysql", readerParams: Params{}}
	q := url.Values{}
	opts, errs := urlparam.Parse(query)
	if len(errs) > 0 {
		return jdbcURL{}, fmt.Errorf("jdbcUrl options: %w", errs[0])
	}
	var dropped []string
	for _, k := range sortedKeys(opts) {
		v := opts.Get(k)
		switch strings.ToLower(k) {
		case "usessl", "requiressl":
			if strings.EqualFold(v, "true") {
				q.Set("tls", "skip-verify")
			}
		case "connecttimeout":
			if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
				q.Set("timeout", strconv.Itoa(ms)+"ms")
			}
		case "sockettimeout":
			if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
				q.Set("readTimeout", strconv.Itoa(ms)+"ms")
				q.Set("writeTimeout", strconv.Itoa(ms)+"ms")
			}
		case "usecompression":
			if strings.EqualFold(v, "true") {
				q.Set("compress", "true")
			}
		case "zerodatetimebehavior":
			if strings.EqualFold(v, "convertToNull") {
				out.readerParams["zeroDate"] = Strings{"null"}
			}
		case "characterencoding":
			if !strings.HasPrefix(strings.ToLower(v), "utf") {
				out.warnings = append(out.warnings, fmt.Sprintf("jdbcUrl characterEncoding=%s: Ferry always talks utf8mb4 to MySQL", v))
			}
		default:
			if !jdbcNoops[strings.ToLower(k)] {
				dropped = append(dropped, k)
			}
		}
	}
	out.warnDropped(dropped)
	u := url.URL{Scheme: "mysql", User: userInfo(user, password), Host: host, Path: "/" + db, RawQuery: q.Encode()}
	out.url = u.String()
	return out, nil
}

func pgJDBC(rest, user, password string) (jdbcURL, error) {
	hostPath, query := splitHostQuery(rest)
	host, db, _ := strings.Cut(hostPath, "/")
	out := jdbcURL{dialect: "postgresql"}
	opts, errs := urlparam.Parse(query)
	if len(errs) > 0 {
		return jdbcURL{}, fmt.Errorf("jdbcUrl options: %w", errs[0])
	}
	q := url.Values{}
	var dropped []string
	for _, k := range sortedKeys(opts) {
		v := opts.Get(k)
		switch strings.ToLower(k) {
		case "sslmode":
			q.Set("sslmode", v)
		case "ssl":
			if strings.EqualFold(v, "true") {
				q.Set("sslmode", "require")
			}
		case "connecttimeout":
			q.Set("connect_timeout", v)
		case "applicationname":
			q.Set("application_name", v)
		case "currentschema":
			q.Set("search_path", v)
		case "user":
			if user == "" {
				user = v
			}
		case "password":
			if password == "" {
				password = v
			}
		default:
			if !jdbcNoops[strings.ToLower(k)] {
				dropped = append(dropped, k)
			}
		}
	}
	out.warnDropped(dropped)
	u := url.URL{Scheme: "postgres", User: userInfo(user, password), Host: host, Path: "/" + db, RawQuery: q.Encode()}
	out.url = u.String()
	return out, nil
}

// sqlserverJDBC converts host[:port][;key=value]... into
// sqlserver://user:password@host:port?database=db&....
func sqlserverJDBC(rest, user, password string) (jdbcURL, error) {
	parts := strings.Split(rest, ";")
	host, instance, _ := strings.Cut(parts[0], "\\")
	q := url.Values{}
	out := jdbcURL{dialect: "sqlserver"}
	var dropped []string
	for _, kv := range parts[1:] {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "databasename", "database":
			q.Set("database", v)
		case "encrypt":
			q.Set("encrypt", v)
		case "trustservercertificate":
			q.Set("TrustServerCertificate", v)
		case "user":
			if user == "" {
				user = v
			}
		case "password":
			if password == "" {
				password = v
			}
		default:
			dropped = append(dropped, k)
		}
	}
	out.warnDropped(dropped)
	u := url.URL{Scheme: "sqlserver", User: userInfo(user, password), Host: host, RawQuery: q.Encode()}
	if instance != "" {
		u.Path = "/" + instance
	}
	out.url = u.String()
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
