package rewrite

import "os"

// fileTest evaluates RewriteCond's file tests (-d -f -s -l -L -h -x) on
// the expanded test string; -F and -U (sub-requests) are false.
func fileTest(op, path string) bool {
	switch op {
	case "-d", "-f", "-s", "-x":
		fi, err := os.Stat(path)
		if err != nil {
			return false
		}
		switch op {
		case "-d":
			return fi.IsDir()
		case "-f":
			return fi.Mode().IsRegular()
		case "-s":
			return fi.Mode().IsRegular() && fi.Size() > 0
		default:
			return !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
		}
	case "-l", "-L", "-h":
		fi, err := os.Lstat(path)
		return err == nil && fi.Mode()&os.ModeSymlink != 0
	}
	return false
}
