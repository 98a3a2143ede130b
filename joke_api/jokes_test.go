package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestEmbeddedCatalogIsValid(t *testing.T) {
	catalog, err := EmbeddedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if catalog.Len() < 40 {
		t.Errorf("want at least 40 jokes, have %d", catalog.Len())
	}
	if names := catalog.CategoryNames(); len(names) < 5 {
		t.Errorf("want at least 5 categories, have %v", names)
	}
	ids, texts := map[string]bool{}, map[string]bool{}
	perLang := map[string]map[string]int{}
	for _, joke := range catalog.jokes {
		if ids[joke.ID] || texts[joke.Text] {
			t.Errorf("joke %s repeats an id or a text", joke.ID)
		}
		ids[joke.ID], texts[joke.Text] = true, true
		if perLang[joke.Category] == nil {
			perLang[joke.Category] = map[string]int{}
		}
		perLang[joke.Category][joke.Lang]++
	}
	for category, counts := range perLang {
		for _, lang := range Languages {
			if counts[lang] < 3 {
				t.Errorf("category %s has %d %s jokes; want at least 3 so a pick still feels random", category,
					counts[lang], lang)
			}
		}
	}
}

func TestLoadCatalogRefusesBrokenData(t *testing.T) {
	joke := func(id, lang, category, text string) string {
		return fmt.Sprintf(`{"id": %q, "lang": %q, "category": %q, "text": %q}`, id, lang, category, text)
	}
	valid := joke("en-1", "en", "food", "a") + ", " + joke("pt-1", "pt-BR", "food", "b")
	withJokes := func(jokes string) string {
		return `{"categories": {"food": {"en": "Food", "pt-BR": "Comida"}}, "jokes": [` + jokes + `]}`
	}
	tests := []struct {
		name, data, want string
	}{
		{"not json", `{"jokes": [`, "invalid JSON"},
		{"duplicate id", withJokes(valid + ", " + joke("en-1", "en", "food", "c")), "used twice"},
		{"unknown lang", withJokes(valid + ", " + joke("es-1", "es", "food", "c")), "unknown lang"},
		{"unknown category", withJokes(valid + ", " + joke("x-1", "en", "cars", "c")), "unknown category"},
		{"empty text", withJokes(valid + ", " + joke("x-1", "en", "food", " ")), "needs a text"},
		{"bad id", withJokes(valid + ", " + joke("X 1", "en", "food", "c")), "not a lowercase slug"},
		{"missing language", withJokes(joke("en-1", "en", "food", "a")), "no pt-BR jokes"},
		{"missing label", `{"categories": {"food": {"en": "Food"}}, "jokes": [` + valid + `]}`, "no pt-BR label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadCatalog([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadCatalog error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := LoadCatalog([]byte(withJokes(valid))); err != nil {
		t.Errorf("a valid document was refused: %v", err)
	}
}

func TestParseLang(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, {"en", "en", true}, {"EN", "en", true}, {"pt-BR", "pt-BR", true}, {"pt-br", "pt-BR", true},
		{"pt", "", false}, {"es", "", false}, {"en-US", "", false},
	}
	for _, tt := range tests {
		if got, ok := ParseLang(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRandomIsRoughlyUniformWithinTheFilter(t *testing.T) {
	catalog, err := EmbeddedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	pick := LockedPicker(rand.New(rand.NewPCG(1, 2)))
	const draws = 12000
	seen := map[string]int{}
	for range draws {
		joke, ok := catalog.Random("animals", "pt-BR", pick)
		if !ok || joke.Category != "animals" || joke.Lang != "pt-BR" {
			t.Fatalf("Random(animals, pt-BR) = %+v, %v", joke, ok)
		}
		seen[joke.ID]++
	}
	want := 0
	for _, joke := range catalog.jokes {
		if joke.Category == "animals" && joke.Lang == "pt-BR" {
			want++
		}
	}
	if len(seen) != want {
		t.Fatalf("saw %d distinct jokes, want all %d", len(seen), want)
	}
	expected := float64(draws) / float64(want)
	for id, n := range seen {
		if float64(n) < expected*0.85 || float64(n) > expected*1.15 {
			t.Errorf("joke %s drawn %d times, expected about %.0f", id, n, expected)
		}
	}
}

func TestSeededPicksAreReproducible(t *testing.T) {
	catalog, err := EmbeddedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	first, second := LockedPicker(rand.New(rand.NewPCG(7, 7))), LockedPicker(rand.New(rand.NewPCG(7, 7)))
	for range 20 {
		a, _ := catalog.Random("", "", first)
		b, _ := catalog.Random("", "", second)
		if a != b {
			t.Fatalf("same seed, different picks: %s vs %s", a.ID, b.ID)
		}
	}
}

func TestCountsAddUp(t *testing.T) {
	catalog, err := EmbeddedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, lang := range Languages {
		for _, item := range catalog.Counts(lang) {
			total += item.Count
		}
	}
	all := 0
	for _, item := range catalog.Counts("") {
		all += item.Count
	}
	if total != catalog.Len() || all != catalog.Len() {
		t.Errorf("per-language counts sum to %d and all-language counts to %d; the catalog has %d", total, all,
			catalog.Len())
	}
}
