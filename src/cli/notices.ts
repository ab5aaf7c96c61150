// Lines the CLI prints to tell the user something it did on their behalf.

export function tightenedNotice(dir: string, mode: number): string {
  return `tightened the permissions of ${dir} from ${mode.toString(8).padStart(4, '0')} to 0700: it holds your private key and pins`;
}
