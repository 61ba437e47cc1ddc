package files

import "testing"

func TestMatchIsOneRuleForIncludeAndExclude(t *testing.T) {
	cases := []struct {
		glob, path string
		want       bool
	}{
		{"*.html", "site/index.html", true},
		{"*.html", "site/blog/2026/post.html", true},
		{"*.html", "site/index.htm", false},
		{"uploads", "site/a/uploads", true},
		{"site/uploads/**", "site/uploads/x.jpg", true},
		{"uploads/**", "site/uploads/x.jpg", true},
		{"uploads/**", "site/deep/uploads/x.jpg", false},
		{"cache/**", "site/cache/a/b", true},
		{"site/*.html", "site/index.html", true},
		{"site/*.html", "site/blog/post.html", false},
		{"site", "site", true},
	}
	for _, c := range cases {
		if got := match(c.glob, c.path); got != c.want {
			t.Errorf("match(%q, %q) = %v, want %v", c.glob, c.path, got, c.want)
		}
	}
	if !matchAny([]string{"uploads"}, "site/uploads/2026/x.jpg") {
		t.Error("a matching directory must bring everything below it")
	}
	if !included(nil, "anything") || included([]string{"*.css"}, "site/index.html") {
		t.Error("included: no globs include all; a non-matching glob includes nothing")
	}
}
