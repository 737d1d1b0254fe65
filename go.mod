module github.com/trellis-studio/trellis

go 1.26.8
