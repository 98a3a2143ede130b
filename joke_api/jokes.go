package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Languages are the languages every category must have jokes in, as the lang parameter spells them.
var Languages = []string{"pt-BR", "en"}

//go:embed data/jokes.json
var embeddedJokes []byte

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	categoryPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
)

// maxTextLen keeps every joke inside one Discord message.
const maxTextLen = 1500

// Joke is one joke, as GET /joke returns it.
type Joke struct {
	ID       string `json:"id"`
	Text     string `json:"text"`
	Category string `json:"category"`
	Lang     string `json:"lang"`
}

// CategoryCount is one item of GET /categories: a category, its name in the asked language and its size.
type CategoryCount struct {
	Category string `json:"category"`
	Label    string `json:"label"`
	Count    int    `json:"count"`
}

// Catalog is a validated, read-only set of jokes, safe to share between requests.
type Catalog struct {
	jokes  []Joke
	labels map[string]map[string]string
	names  []string
}

// Picker returns a random index in [0, n); it must be safe for concurrent use.
type Picker func(n int) int

// LockedPicker shares one seeded source between requests; tests use it to make picks reproducible.
func LockedPicker(source *rand.Rand) Picker {
	var mu sync.Mutex
	return func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		return source.IntN(n)
	}
}

// EmbeddedCatalog loads the jokes compiled into the binary from data/jokes.json.
func EmbeddedCatalog() (*Catalog, error) {
	return LoadCatalog(embeddedJokes)
}

// LoadCatalog parses a jokes document and refuses it unless ids are unique and every category is labelled
// and has jokes in every language, so a request for any category in any language always finds one.
func LoadCatalog(data []byte) (*Catalog, error) {
	var doc struct {
		Categories map[string]map[string]string `json:"categories"`
		Jokes      []Joke                       `json:"jokes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jokes: invalid JSON: %w", err)
	}
	catalog := &Catalog{jokes: doc.Jokes, labels: doc.Categories}
	for name, labels := range doc.Categories {
		if !categoryPattern.MatchString(name) {
			return nil, fmt.Errorf("jokes: category %q is not a lowercase slug", name)
		}
		for _, lang := range Languages {
			if strings.TrimSpace(labels[lang]) == "" {
				return nil, fmt.Errorf("jokes: category %q has no %s label", name, lang)
			}
		}
		catalog.names = append(catalog.names, name)
	}
	slices.Sort(catalog.names)
	seen := make(map[string]bool, len(doc.Jokes))
	perLang := make(map[[2]string]int)
	for _, joke := range doc.Jokes {
		switch {
		case !idPattern.MatchString(joke.ID):
			return nil, fmt.Errorf("jokes: id %q is not a lowercase slug", joke.ID)
		case seen[joke.ID]:
			return nil, fmt.Errorf("jokes: id %q is used twice", joke.ID)
		case doc.Categories[joke.Category] == nil:
			return nil, fmt.Errorf("jokes: %s has unknown category %q", joke.ID, joke.Category)
		case !slices.Contains(Languages, joke.Lang):
			return nil, fmt.Errorf("jokes: %s has unknown lang %q", joke.ID, joke.Lang)
		case strings.TrimSpace(joke.Text) == "" || len(joke.Text) > maxTextLen:
			return nil, fmt.Errorf("jokes: %s needs a text of 1 to %d bytes", joke.ID, maxTextLen)
		}
		seen[joke.ID] = true
		perLang[[2]string{joke.Category, joke.Lang}]++
	}
	for _, name := range catalog.names {
		for _, lang := range Languages {
			if perLang[[2]string{name, lang}] == 0 {
				return nil, fmt.Errorf("jokes: category %q has no %s jokes", name, lang)
			}
		}
	}
	return catalog, nil
}

// ParseLang accepts pt-BR or en in any letter case and returns the canonical spelling; "" means any language.
func ParseLang(value string) (lang string, ok bool) {
	if value == "" {
		return "", true
	}
	for _, known := range Languages {
		if strings.EqualFold(value, known) {
			return known, true
		}
	}
	return "", false
}

// Len is the number of jokes in the catalog.
func (c *Catalog) Len() int { return len(c.jokes) }

// CategoryNames lists the categories in alphabetical order.
func (c *Catalog) CategoryNames() []string { return slices.Clone(c.names) }

// HasCategory tells whether name is one of the catalog's categories.
func (c *Catalog) HasCategory(name string) bool { return c.labels[name] != nil }

// Random picks uniformly among the jokes matching category and lang ("" matches any); ok is false if none do.
func (c *Catalog) Random(category, lang string, pick Picker) (joke Joke, ok bool) {
	var matching []Joke
	for _, candidate := range c.jokes {
		if (category == "" || candidate.Category == category) && (lang == "" || candidate.Lang == lang) {
			matching = append(matching, candidate)
		}
	}
	if len(matching) == 0 {
		return Joke{}, false
	}
	return matching[pick(len(matching))], true
}

// Counts gives every category's size in lang ("" counts all languages), labelled in lang (English for "").
func (c *Catalog) Counts(lang string) []CategoryCount {
	counts := make(map[string]int, len(c.names))
	for _, joke := range c.jokes {
		if lang == "" || joke.Lang == lang {
			counts[joke.Category]++
		}
	}
	labelLang := lang
	if labelLang == "" {
		labelLang = "en"
	}
	items := make([]CategoryCount, 0, len(c.names))
	for _, name := range c.names {
		items = append(items, CategoryCount{Category: name, Label: c.labels[name][labelLang], Count: counts[name]})
	}
	return items
}
