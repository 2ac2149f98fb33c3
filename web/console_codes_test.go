package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestConsoleMapsEveryCode: the console has words, in English and in
// Chinese, for every error code the API can answer (the Code… constants of
// the api package), every status, key state and app kind the admin API
// names (the enums of docs/openapi.yaml), and every audit action the code
// records (the Action of each audit.Entry, read from the Go source). A new
// code without its words fails here rather than showing raw in 简体中文.
func TestConsoleMapsEveryCode(t *testing.T) {
	en, zh := consoleDicts(t)
	want := map[string][]string{}
	for _, c := range errorCodes(t) {
		want["err_"+c] = append(want["err_"+c], "error code "+c)
	}
	for kind, values := range openAPIEnums(t) {
		for _, v := range values {
			k := kind + "_" + v
			want[k] = append(want[k], kind+" "+v)
		}
	}
	for _, a := range auditActions(t) {
		k := "audit_" + strings.ReplaceAll(a, ".", "_")
		want[k] = append(want[k], "audit action "+a)
	}
	var missing []string
	for k, what := range want {
		if !en[k] {
			missing = append(missing, k+" (en, "+what[0]+")")
		}
		if !zh[k] {
			missing = append(missing, k+" (zh-CN, "+what[0]+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("web/console/i18n.js lacks %d text(s):\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// consoleDicts reads the keys of i18n.js's English and Chinese tables:
// the objects en and zh and those merged into them (Object.assign).
func consoleDicts(t *testing.T) (en, zh map[string]bool) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("console", "i18n.js"))
	if err != nil {
		t.Fatal(err)
	}
	objects := map[string]map[string]bool{}
	key := regexp.MustCompile(`(?m)(?:^|[{,])\s*([A-Za-z_][A-Za-z0-9_]*):\s*["'\x60]`)
	for _, m := range regexp.MustCompile(`(?s)\nconst (\w+) = \{(.*?)\n\};`).FindAllStringSubmatch(string(src), -1) {
		keys := map[string]bool{}
		for _, k := range key.FindAllStringSubmatch(m[2], -1) {
			keys[k[1]] = true
		}
		objects[m[1]] = keys
	}
	dict := func(name string) map[string]bool {
		out := map[string]bool{}
		for k := range objects[name] {
			out[k] = true
		}
		for _, m := range regexp.MustCompile(`Object\.assign\(`+name+`, (\w+)\)`).FindAllStringSubmatch(string(src), -1) {
			for k := range objects[m[1]] {
				out[k] = true
			}
		}
		return out
	}
	en, zh = dict("en"), dict("zh")
	if len(en) < 100 || len(zh) < 100 {
		t.Fatalf("read %d English and %d Chinese texts from i18n.js: the parser is wrong", len(en), len(zh))
	}
	return en, zh
}

// errorCodes are the values of the api package's Code… constants.
func errorCodes(t *testing.T) []string {
	t.Helper()
	var codes []string
	for _, f := range goFiles(t, filepath.Join("..", "api")) {
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if strings.HasPrefix(name.Name, "Code") && i < len(vs.Values) {
					if s, ok := stringLit(vs.Values[i]); ok {
						codes = append(codes, s)
					}
				}
			}
			return true
		})
	}
	if len(codes) < 30 {
		t.Fatalf("found %d error codes in the api package: the parser is wrong", len(codes))
	}
	return codes
}

// openAPIEnums are the values of every status, state and kind enum of the
// API's contract, by console prefix.
func openAPIEnums(t *testing.T) map[string][]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range regexp.MustCompile(`\b(status|state|kind): \{type: string, enum: \[([^\]]*)\]`).FindAllStringSubmatch(string(src), -1) {
		for _, v := range strings.Split(m[2], ",") {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out[m[1]], v) {
				out[m[1]] = append(out[m[1]], v)
			}
		}
	}
	if len(out["status"]) < 3 || len(out["state"]) < 3 || len(out["kind"]) < 2 {
		t.Fatalf("enums read from openapi.yaml: %v: the parser is wrong", out)
	}
	return out
}

var actionRe = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// auditActions are the actions of every audit.Entry the code makes: a
// literal Action; "prefix." + a map of literals; or a variable, whose
// literals are those of its function, or, for a parameter, those its
// callers pass.
func auditActions(t *testing.T) []string {
	t.Helper()
	var files []*ast.File
	for _, dir := range []string{"api", "tenants", "cmd"} {
		err := filepath.WalkDir(filepath.Join("..", dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			files = append(files, goFiles(t, p)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	found := map[string]bool{}
	params := map[string]int{} // function name → index of its action parameter
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				cl, ok := n.(*ast.CompositeLit)
				if !ok || !isAuditEntry(cl.Type) {
					return true
				}
				for _, e := range cl.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok || !isIdent(kv.Key, "Action") {
						continue
					}
					switch v := kv.Value.(type) {
					case *ast.BasicLit:
						s, _ := stringLit(v)
						found[s] = true
					case *ast.BinaryExpr:
						prefix, _ := stringLit(v.X)
						for _, s := range literals(v.Y) {
							found[prefix+s] = true
						}
					case *ast.Ident:
						if i := paramIndex(fn, v.Name); i >= 0 {
							params[fn.Name.Name] = i
						}
						for _, s := range literals(fn.Body) {
							if actionRe.MatchString(s) {
								found[s] = true
							}
						}
					default:
						t.Errorf("%s: an audit action of a shape this test cannot read", fn.Name.Name)
					}
				}
				return true
			})
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := ""
			switch fun := call.Fun.(type) {
			case *ast.Ident:
				name = fun.Name
			case *ast.SelectorExpr:
				name = fun.Sel.Name
			}
			if i, ok := params[name]; ok && i < len(call.Args) {
				if s, ok := stringLit(call.Args[i]); ok && actionRe.MatchString(s) {
					found[s] = true
				}
			}
			return true
		})
	}
	var out []string
	for a := range found {
		if actionRe.MatchString(a) {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	if len(out) < 30 || !slices.Contains(out, "tenant.disabled") || !slices.Contains(out, "user.banned") || !slices.Contains(out, "admin.disabled") {
		t.Fatalf("audit actions read from the source: %v: the parser is wrong", out)
	}
	return out
}

func goFiles(t *testing.T, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*ast.File
	fset := token.NewFileSet()
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func isAuditEntry(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.SelectorExpr:
		return x.Sel.Name == "Entry" && isIdent(x.X, "audit")
	case *ast.Ident:
		return x.Name == "Entry"
	}
	return false
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// literals are the string literals under n.
func literals(n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok {
			if s, ok := stringLit(e); ok {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

func paramIndex(fn *ast.FuncDecl, name string) int {
	i := 0
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
		if len(f.Names) == 0 {
			i++
		}
	}
	return -1
}
