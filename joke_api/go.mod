module github.com/buteco/joke_api

go 1.22
