/** The page: lists every launch the primary received (a plain script; the bridge types are ambient). */

const rows = document.getElementById('launches') as HTMLTableSectionElement;
const shown = new Set<number>();

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

/** A command line as a shell would show it: arguments with spaces or quotes in double quotes. */
function commandLine(argv: string[]): string {
  return argv.map((arg) => (arg === '' || /[\s"]/.test(arg) ? `"${arg.replace(/"/g, '\\"')}"` : arg)).join(' ');
}

function addRow(launch: LaunchRecord, highlight: boolean): void {
  if (shown.has(launch.seq)) {
    return;
  }
  shown.add(launch.seq);
  const tr = document.createElement('tr');
  if (highlight) {
    tr.className = 'new';
  }
  tr.append(
    cell(String(launch.seq)),
    cell(new Date(launch.receivedAt).toLocaleTimeString()),
    cell(launch.source),
    cell(String(launch.pid)),
    cell(launch.handOffMs === null ? '—' : `${launch.handOffMs} ms`),
    cell(launch.url ?? commandLine(launch.argv), 'argv'),
    cell(launch.cwd ?? '—'),
  );
  rows.prepend(tr);
}

window.singleInstance.onLaunch((launch) => addRow(launch, true));
void window.singleInstance.launches().then((launches) => {
  launches.forEach((launch) => addRow(launch, false));
});
