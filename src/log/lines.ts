// The logging a module needs: lines at keepalived's levels. pino's Logger fits; tests pass a
// recorder, the start-up rehearsal one that says nothing. A module that writes fewer levels takes
// Pick<LineLog, ...>.
export interface LineLog {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}
