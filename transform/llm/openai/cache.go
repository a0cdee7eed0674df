package openai

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the cache's SQLite driver
)

// Cache stores answers by a hash of everything that determines them (model,
// parameters, prompt or input text), so that a rerun or a backfill of the same
// rows makes no API call. It is a SQLite file shared by every transform that
// names it; it is safe for concurrent use, also by several processes.
type Cache struct {
	db           *sql.DB
	path         string
	hits, misses atomic.Int64
}

// CacheOff is the Cache path that disables caching.
const CacheOff = "off"

// DefaultCachePath is where the cache lives when a transform names none:
// ferry/ai-cache.sqlite under the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache on Linux).
func DefaultCachePath() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("openai: cache: no user cache directory (name a cache file): %w", err)
	}
	return filepath.Join(d, "ferry", "ai-cache.sqlite"), nil
}

// OpenCache opens (creating it) the cache at path: "" is DefaultCachePath,
// CacheOff returns nil (a nil *Cache caches nothing), ":memory:" is a
// private in-memory cache.
func OpenCache(path string) (*Cache, error) {
	if path == CacheOff {
		return nil, nil
	}
	if path == "" {
		var err error
		if path, err = DefaultCachePath(); err != nil {
			return nil, err
		}
	}
	dsn := "file::memory:"
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("openai: cache %s: %w", path, err)
		}
		dsn = "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("openai: cache %s: %w", path, err)
	}
	if path == ":memory:" {
		db.SetMaxOpenConns(1)
	}
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS ferry_ai_cache (
		key TEXT PRIMARY KEY, value BLOB NOT NULL, created TEXT NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("openai: cache %s: %w", path, err)
	}
	return &Cache{db: db, path: path}, nil
}

// Path returns the cache file's path.
func (c *Cache) Path() string {
	if c == nil {
		return CacheOff
	}
	return c.path
}

// Key hashes the parts (JSON-encoded, so that no two part lists collide)
// into a cache key.
func Key(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		_ = enc.Encode(p) // the parts are plain values; Encode cannot fail on them
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Get returns the cached values of keys (absent keys are absent from the map).
func (c *Cache) Get(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if c == nil || len(keys) == 0 {
		return out, nil
	}
	for lo := 0; lo < len(keys); lo += 500 {
		part := keys[lo:min(lo+500, len(keys))]
		args := make([]any, len(part))
		for i, k := range part {
			args[i] = k
		}
		rows, err := c.db.QueryContext(ctx, "SELECT key, value FROM ferry_ai_cache WHERE key IN (?"+strings.Repeat(",?", len(part)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("openai: cache %s: %w", c.path, err)
		}
		for rows.Next() {
			var k string
			var v []byte
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("openai: cache %s: %w", c.path, err)
			}
			out[k] = v
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("openai: cache %s: %w", c.path, err)
		}
	}
	c.hits.Add(int64(len(out)))
	c.misses.Add(int64(len(keys) - len(out)))
	return out, nil
}

// Put stores values by key, in one transaction.
func (c *Cache) Put(ctx context.Context, values map[string][]byte) error {
	if c == nil || len(values) == 0 {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("openai: cache %s: %w", c.path, err)
	}
	defer tx.Rollback()
	now := time.Now().UTC().Format(time.RFC3339)
	st, err := tx.PrepareContext(ctx, "INSERT OR REPLACE INTO ferry_ai_cache (key, value, created) VALUES (?, ?, ?)")
	if err != nil {
		return fmt.Errorf("openai: cache %s: %w", c.path, err)
	}
	defer st.Close()
	for k, v := range values {
		if _, err := st.ExecContext(ctx, k, v, now); err != nil {
			return fmt.Errorf("openai: cache %s: %w", c.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("openai: cache %s: %w", c.path, err)
	}
	return nil
}

// Hits and Misses count the keys Get found and did not find.
func (c *Cache) Hits() int64 {
	if c == nil {
		return 0
	}
	return c.hits.Load()
}

// Misses counts the keys Get did not find.
func (c *Cache) Misses() int64 {
	if c == nil {
		return 0
	}
	return c.misses.Load()
}

// Close closes the cache file. Closing a nil Cache is a no-op.
func (c *Cache) Close() error {
	if c == nil {
		return nil
	}
	return c.db.Close()
}
