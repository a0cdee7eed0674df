package fileset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Expand returns the files named by pattern, sorted: the file itself, every
// regular file under a directory (recursively, skipping names starting
// with "." or "_"), or the files a glob matches but hidden ones (directories matched by the
// glob are expanded too). exts, when given, keeps only directory entries
// with one of these extensions (".csv"); files named explicitly or by a glob
// are always kept, and so is every file of a directory a Ferry file writer
// made (it holds RunMarker). It is an error when nothing matches.
func Expand(pattern string, exts ...string) ([]string, error) {
	if pattern == "" {
		return nil, fmt.Errorf("no path given")
	}
	var roots []string
	if strings.ContainsAny(pattern, "*?[") {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("bad glob %q: %w", pattern, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no file matches %s", pattern)
		}
		for _, p := range m {
			if b := filepath.Base(p); !strings.HasPrefix(b, ".") && !strings.HasPrefix(b, "_") {
				roots = append(roots, p)
			}
		}
		if len(roots) == 0 {
			return nil, fmt.Errorf("no file matches %s (hidden names starting with . or _ are skipped)", pattern)
		}
	} else {
		roots = []string{pattern}
	}
	var files []string
	for _, root := range roots {
		st, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", root, err)
		}
		if !st.IsDir() {
			files = append(files, root)
			continue
		}
		ours := exists(filepath.Join(root, RunMarker)) // a writer's output: every part file
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if len(exts) > 0 && !(ours && filepath.Dir(p) == root) && !slices.ContainsFunc(exts, func(e string) bool { return strings.HasSuffix(strings.ToLower(name), e) }) {
				return nil
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", root, err)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no files in %s", pattern)
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}
