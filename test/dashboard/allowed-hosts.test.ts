import t from 'tap';
import { AllowedHosts, type MachineNames } from '../../src/dashboard/allowed-hosts.js';

/** A machine whose host name and interface addresses the test sets. */
class FakeMachine implements MachineNames {
  name = 'ecu';
  list = ['127.0.0.1', '192.0.2.10', '::1', 'fd00::10'];
  reads = 0;
  hostname(): string {
    return this.name;
  }
  addresses(): string[] {
    this.reads++;
    return this.list;
  }
}

void t.test('on loopback, only the loopback names with the port', async (t) => {
  const hosts = new AllowedHosts('127.0.0.1', 8080, [], new FakeMachine());
  t.same(['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'LOCALHOST:8080'].map((h) => hosts.has(h)), [true, true, true, true]);
  t.same(['ecu:8080', '192.0.2.10:8080', 'localhost', 'localhost:8081', 'evil.example:8080', ''].map((h) => hosts.has(h)), [false, false, false, false, false, false]);
  t.equal(hosts.has(undefined), false);
});

void t.test('on one address, that address and the host name', async (t) => {
  const hosts = new AllowedHosts('fd00::10', 8080, [], new FakeMachine());
  t.same(['[fd00::10]:8080', 'ecu:8080', 'localhost:8080', '192.0.2.10:8080'].map((h) => hosts.has(h)), [true, true, false, false]);
});

void t.test('on every address, every interface, reread at most every ten seconds when a name is unknown', async (t) => {
  const machine = new FakeMachine();
  let now = 0;
  const hosts = new AllowedHosts('0.0.0.0', 8080, [], machine, () => now);
  t.same(['localhost:8080', 'ecu:8080', '192.0.2.10:8080', '[fd00::10]:8080'].map((h) => hosts.has(h)), [true, true, true, true]);
  machine.list = [...machine.list, '198.51.100.7'];
  t.equal(hosts.has('198.51.100.7:8080'), false, 'a new address waits for the next read');
  now = 9_999;
  t.equal(hosts.has('evil.example:8080'), false);
  t.equal(machine.reads, 1, 'unknown names do not reread at will');
  now = 10_000;
  t.equal(hosts.has('198.51.100.7:8080'), true, 'then the new address is known');
  t.equal(machine.reads, 2);
  t.equal(hosts.has('evil.example:8080'), false);
  t.equal(machine.reads, 2, 'and the next read is ten seconds later');
});

void t.test('added names: as written with a port, with the dashboard port or none without one', async (t) => {
  const hosts = new AllowedHosts('127.0.0.1', 8080, ['Persona.Example', 'proxy.example:8443', '[fd00::1]'], new FakeMachine());
  t.same(['persona.example', 'persona.example:8080', 'proxy.example:8443', '[fd00::1]:8080', '[fd00::1]'].map((h) => hosts.has(h)), [true, true, true, true, true]);
  t.same(['persona.example:8443', 'proxy.example', 'proxy.example:8080'].map((h) => hosts.has(h)), [false, false, false]);
});

void t.test('on port 80 a browser sends no port', async (t) => {
  const hosts = new AllowedHosts('127.0.0.1', 80, [], new FakeMachine());
  t.same(['localhost', 'localhost:80', '127.0.0.1'].map((h) => hosts.has(h)), [true, true, true]);
});

void t.test("an origin is the dashboard's when its scheme is http or https and its host is accepted", async (t) => {
  const hosts = new AllowedHosts('127.0.0.1', 8080, ['persona.example'], new FakeMachine());
  t.same(['http://localhost:8080', 'http://127.0.0.1:8080', 'https://persona.example'].map((o) => hosts.hasOrigin(o)), [true, true, true]);
  t.same(['http://evil.example', 'null', 'http://localhost:8080/', 'ftp://localhost:8080', 'http://localhost:8081', 'http://user@localhost:8080'].map((o) => hosts.hasOrigin(o)), [false, false, false, false, false, false]);
});
