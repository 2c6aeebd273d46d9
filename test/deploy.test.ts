/**
 * The deployment files, checked offline: no kubeconform is installable from npm or
 * Debian, so the Kubernetes manifests are parsed and every field we rely on is checked
 * (kinds and API versions, key spelling in the parts we write, and that names, ports,
 * labels and paths agree across files, with the Dockerfile and with the server's own
 * settings schema). The Dockerfile, docker-compose.yml and Caddyfile get the same.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { parseProviderFile } from '../src/config/load-providers';
import { loadSettings } from '../src/config/settings';
import { examplesPolicy, isExampleProvider } from '../src/cli/examples';
import { TLS_ASK_PATH } from '../src/http/routes';
import { REPO_ROOT, SHIPPED_CONFIG } from './support/app';

const K8S_DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');
const read = (...parts: string[]) => readFileSync(path.join(REPO_ROOT, ...parts), 'utf8');

// --- Kubernetes --------------------------------------------------------------------------

const KINDS: Record<string, string> = {
  ConfigMap: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  Ingress: 'networking.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
};
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Strict where we write the object ourselves, so a misspelt key fails here and not in a cluster.
const labels = z.record(z.string(), z.string());
const httpProbe = z.strictObject({
  httpGet: z.strictObject({ path: z.string(), port: z.union([z.string(), z.number()]) }),
  initialDelaySeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
});
const container = z.strictObject({
  name: z.string().regex(DNS_1123),
  image: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.array(
    z.union([
      z.strictObject({ name: z.string(), value: z.string() }),
      z.strictObject({ name: z.string(), valueFrom: z.strictObject({ secretKeyRef: z.strictObject({ name: z.string().regex(DNS_1123), key: z.string() }) }) }),
    ]),
  ),
  ports: z.array(z.strictObject({ name: z.string().regex(PORT_NAME).max(15), containerPort: z.number().int().min(1).max(65535) })),
  readinessProbe: httpProbe,
  livenessProbe: httpProbe,
  resources: z.strictObject({
    requests: z.strictObject({ cpu: z.string(), memory: z.string() }),
    limits: z.strictObject({ cpu: z.string().optional(), memory: z.string() }),
  }),
  securityContext: z.strictObject({
    readOnlyRootFilesystem: z.literal(true),
    allowPrivilegeEscalation: z.literal(false),
    runAsNonRoot: z.literal(true),
    capabilities: z.strictObject({ drop: z.array(z.string()) }),
  }),
  volumeMounts: z.array(z.strictObject({ name: z.string(), mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() })),
});
const deployment = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('Deployment'),
  metadata: z.strictObject({ name: z.string() }),
  spec: z.strictObject({
    replicas: z.number().int(),
    selector: z.strictObject({ matchLabels: labels }),
    template: z.strictObject({
      metadata: z.strictObject({ labels, annotations: labels.optional() }),
      spec: z.strictObject({
        automountServiceAccountToken: z.boolean().optional(),
        securityContext: z.strictObject({
          runAsNonRoot: z.literal(true),
          runAsUser: z.number().int().min(1),
          runAsGroup: z.number().int().min(1),
          seccompProfile: z.strictObject({ type: z.string() }),
        }),
        topologySpreadConstraints: z.array(z.any()).optional(),
        containers: z.array(container).length(1),
        volumes: z.array(
          z.strictObject({
            name: z.string(),
            configMap: z.strictObject({ name: z.string() }).optional(),
            secret: z.strictObject({ secretName: z.string().regex(DNS_1123) }).optional(),
            emptyDir: z.strictObject({ sizeLimit: z.string().optional() }).optional(),
          }),
        ),
      }),
    }),
  }),
});
const service = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('Service'),
  metadata: z.strictObject({ name: z.string() }),
  spec: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']),
    selector: labels,
    ports: z.array(z.strictObject({ name: z.string(), port: z.number().int(), targetPort: z.union([z.string(), z.number()]) })),
  }),
});
const ingressBackend = z.strictObject({
  paths: z.array(
    z.strictObject({
      path: z.string().startsWith('/'),
      pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']),
      backend: z.strictObject({ service: z.strictObject({ name: z.string(), port: z.strictObject({ name: z.string() }) }) }),
    }),
  ),
});
const ingress = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('Ingress'),
  metadata: z.strictObject({ name: z.string(), annotations: labels.optional() }),
  spec: z.strictObject({
    ingressClassName: z.string(),
    tls: z.array(z.strictObject({ secretName: z.string(), hosts: z.array(z.string().regex(DNS_1123)) })),
    rules: z.array(z.strictObject({ host: z.string().regex(DNS_1123), http: ingressBackend })),
  }),
});
const hpa = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: z.strictObject({ name: z.string() }),
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({ apiVersion: z.string(), kind: z.string(), name: z.string() }),
    minReplicas: z.number().int(),
    maxReplicas: z.number().int(),
    metrics: z.array(
      z.strictObject({
        type: z.literal('Resource'),
        resource: z.strictObject({ name: z.enum(['cpu', 'memory']), target: z.strictObject({ type: z.literal('Utilization'), averageUtilization: z.number().int() }) }),
      }),
    ),
  }),
});
const pdb = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('PodDisruptionBudget'),
  metadata: z.strictObject({ name: z.string() }),
  spec: z.strictObject({ minAvailable: z.number().int(), selector: z.strictObject({ matchLabels: labels }) }),
});
const configMap = z.strictObject({
  apiVersion: z.string(),
  kind: z.literal('ConfigMap'),
  metadata: z.strictObject({ name: z.string() }),
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
});

const kustomization = YAML.parse(read('deploy', 'kubernetes', 'kustomization.yaml')) as { resources: string[] };
const objects = kustomization.resources.flatMap((file) =>
  YAML.parseAllDocuments(read('deploy', 'kubernetes', file)).map((document) => {
    expect(document.errors).toEqual([]);
    return { file, object: document.toJS() as { apiVersion: string; kind: string; metadata: { name: string } } };
  }),
);
function only<T>(schema: z.ZodType<T>, kind: string): T {
  const matching = objects.filter(({ object }) => object.kind === kind);
  expect(matching).toHaveLength(1);
  return schema.parse(matching[0]!.object);
}
const subsetOf = (small: Record<string, string>, big: Record<string, string>) => Object.entries(small).every(([key, value]) => big[key] === value);

/** The final stage of the Dockerfile, as instruction → arguments lines (continuations joined). */
function dockerfileStages(): string[][] {
  const lines = read('Dockerfile')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    if (/^FROM /i.test(line)) stages.push([]);
    stages.at(-1)?.push(line.trim());
  }
  return stages;
}
function dockerEnv(stage: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stage.filter((entry) => entry.startsWith('ENV '))) {
    for (const [, key, value] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
  }
  return env;
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  test('kustomization lists every manifest; each is a known kind and API version with a valid name', () => {
    const files = readdirSync(K8S_DIR).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    for (const { file, object } of objects) {
      expect([file, object.apiVersion]).toEqual([file, KINDS[object.kind]]);
      expect(object.metadata.name).toMatch(DNS_1123);
    }
  });

  const theDeployment = only(deployment, 'Deployment');
  const pod = theDeployment.spec.template.spec;
  const theContainer = pod.containers[0]!;
  const env = Object.fromEntries(theContainer.env.flatMap((entry) => ('value' in entry ? [[entry.name, entry.value]] : [])));
  const portByName = Object.fromEntries(theContainer.ports.map(({ name, containerPort }) => [name, containerPort]));

  test('Deployment: 3 replicas, probes on /healthz, requests, read-only root, non-root as the image', () => {
    expect(theDeployment.spec.replicas).toBe(3);
    expect(subsetOf(theDeployment.spec.selector.matchLabels, theDeployment.spec.template.metadata.labels)).toBe(true);
    for (const probe of [theContainer.readinessProbe, theContainer.livenessProbe]) {
      expect(probe.httpGet.path).toBe('/healthz');
      expect(portByName[String(probe.httpGet.port)]).toBe(8080);
    }
    const finalStage = dockerfileStages().at(-1)!;
    const user = finalStage.find((line) => line.startsWith('USER '))!.slice(5).split(':')[0];
    expect(String(pod.securityContext.runAsUser)).toBe(user);
    expect(theContainer.securityContext.capabilities.drop).toEqual(['ALL']);
  });

  test('Deployment environment is accepted by the server settings and matches ports and the image', async () => {
    const settings = await loadSettings(SHIPPED_CONFIG, env);
    expect(settings.port).toBe(portByName.http);
    expect(settings.metricsPort).toBe(portByName.metrics);
    // The scraper reaches the pod's address, not its loopback.
    expect(settings.metricsHost).toBe('0.0.0.0');
    expect(settings.metricsOnMainPort).toBe(false);
    expect(env.MAIL_AUTOCONFIG_CONFIG).toBe(dockerEnv(dockerfileStages().at(-1)!).MAIL_AUTOCONFIG_CONFIG);
    expect(theDeployment.spec.template.metadata.annotations?.['prometheus.io/port']).toBe(String(portByName.metrics));
  });

  test('ConfigMap: mounted as the providers directory, and every file in it is a valid provider', () => {
    const providers = only(configMap, 'ConfigMap');
    const volume = pod.volumes.find((entry) => entry.configMap?.name === providers.metadata.name)!;
    expect(volume).toBeDefined();
    const mount = theContainer.volumeMounts.find((entry) => entry.name === volume.name)!;
    expect(mount).toMatchObject({ mountPath: `${env.MAIL_AUTOCONFIG_CONFIG}/providers`, readOnly: true });
    for (const mountEntry of theContainer.volumeMounts) expect(pod.volumes.map((entry) => entry.name)).toContain(mountEntry.name);
    for (const [name, text] of Object.entries(providers.data)) {
      expect(name).toMatch(/\.(ya?ml|json)$/);
      const parsed = parseProviderFile(name, text);
      expect('problems' in parsed ? parsed.problems : []).toEqual([]);
    }
    // The example is the shipped one, byte for byte, so the two cannot drift apart.
    expect(providers.data['example.yaml']).toBe(read('config', 'providers', 'example.yaml'));
  });

  test('applied unchanged, the template ConfigMap is refused: its example is marked, and the pod refuses examples', () => {
    const providers = only(configMap, 'ConfigMap');
    expect(isExampleProvider(providers.data['example.yaml']!)).toBe(true);
    // The Deployment says so itself, whatever image it runs, and agrees with the image.
    expect(examplesPolicy(env)).toBe('refuse');
    expect(examplesPolicy(dockerEnv(dockerfileStages().at(-1)!))).toBe('refuse');
  });

  test('the optional signing Secret, once uncommented, mounts where the signing settings point', async () => {
    expect(theContainer.env.some(({ name }) => name.startsWith('MAIL_AUTOCONFIG_SIGNING'))).toBe(false);
    // What an admin does: uncomment the lines of the block (comments that are YAML).
    const uncommented = read('deploy', 'kubernetes', 'deployment.yaml').replace(
      /^(\s*)# ((?:- name(?!: MAIL_AUTOCONFIG_DATABASE)| {2}value| {2}mountPath| {2}readOnly| {2}secret| {4}secretName):.*)$/gm,
      '$1$2',
    );
    const signed = deployment.parse(YAML.parse(uncommented)).spec.template.spec;
    const signedContainer = signed.containers[0]!;
    const settings = await loadSettings(SHIPPED_CONFIG, Object.fromEntries(signedContainer.env.flatMap((entry) => ('value' in entry ? [[entry.name, entry.value]] : []))));
    const mount = signedContainer.volumeMounts.find((entry) => entry.name === 'signing')!;
    expect(mount.readOnly).toBe(true);
    for (const file of [settings.signingCert, settings.signingKey]) expect(path.posix.dirname(file!)).toBe(mount.mountPath);
    expect(signed.volumes.find((entry) => entry.name === 'signing')?.secret?.secretName).toBeDefined();
  });

  test('the optional database URL, once uncommented, comes from a Secret and is the setting the server reads', async () => {
    expect(theContainer.env.some(({ name }) => name === 'MAIL_AUTOCONFIG_DATABASE_URL')).toBe(false);
    const text = read('deploy', 'kubernetes', 'deployment.yaml');
    const block = /^(\s*)# - name: MAIL_AUTOCONFIG_DATABASE_URL\n(?:\1# {3}.*\n)+/m.exec(text)!;
    expect(block).not.toBeNull();
    const uncommented = text.replace(block[0], block[0].replace(/^(\s*)# /gm, '$1'));
    const withDatabase = deployment.parse(YAML.parse(uncommented)).spec.template.spec.containers[0]!;
    const entry = withDatabase.env.find(({ name }) => name === 'MAIL_AUTOCONFIG_DATABASE_URL')!;
    expect('valueFrom' in entry && entry.valueFrom.secretKeyRef).toEqual({ name: 'mail-autoconfig-database', key: 'url' });
    // What the Secret holds is read as the database setting.
    const settings = await loadSettings(SHIPPED_CONFIG, { ...env, [entry.name]: 'postgres://mail:secret@postgres.internal/mail' });
    expect(settings.database?.url).toBe('postgres://mail:secret@postgres.internal/mail');
  });

  test('Service selects the pods and targets named container ports', () => {
    const theService = only(service, 'Service');
    expect(subsetOf(theService.spec.selector, theDeployment.spec.template.metadata.labels)).toBe(true);
    for (const port of theService.spec.ports) expect(portByName[String(port.targetPort)]).toBeDefined();
  });

  test('Ingress: TLS covers every host, hosts come in autoconfig/autodiscover pairs, backends exist', () => {
    const theIngress = only(ingress, 'Ingress');
    const theService = only(service, 'Service');
    const tlsHosts = theIngress.spec.tls.flatMap((entry) => entry.hosts);
    const ruleHosts = theIngress.spec.rules.map((rule) => rule.host);
    expect([...tlsHosts].sort()).toEqual([...ruleHosts].sort());
    const domains = (prefix: string) => ruleHosts.filter((host) => host.startsWith(prefix)).map((host) => host.slice(prefix.length)).sort();
    expect(domains('autoconfig.')).toEqual(domains('autodiscover.'));
    expect(domains('autoconfig.').length * 2).toBe(ruleHosts.length);
    for (const rule of theIngress.spec.rules) {
      for (const { backend } of rule.http.paths) {
        expect(backend.service.name).toBe(theService.metadata.name);
        expect(theService.spec.ports.map((port) => port.name)).toContain(backend.service.port.name);
        expect(backend.service.port.name).not.toBe('metrics');
      }
    }
  });

  test('HorizontalPodAutoscaler scales the Deployment from its replica count; the PDB leaves room for drains', () => {
    const theHpa = only(hpa, 'HorizontalPodAutoscaler');
    expect(theHpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: theDeployment.metadata.name });
    expect(theHpa.spec.minReplicas).toBe(theDeployment.spec.replicas);
    expect(theHpa.spec.maxReplicas).toBeGreaterThan(theHpa.spec.minReplicas);
    const thePdb = only(pdb, 'PodDisruptionBudget');
    expect(subsetOf(thePdb.spec.selector.matchLabels, theDeployment.spec.template.metadata.labels)).toBe(true);
    expect(thePdb.spec.minAvailable).toBeLessThan(theDeployment.spec.replicas);
  });
});

// --- Docker ------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const finalStage = stages.at(-1)!;
  const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };

  test('multi-stage: the build stage runs the steps CI runs; the final one installs runtime dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages[0]!;
    expect(build).toContain('RUN npm ci');
    expect(build).toContain('RUN npm run build');
    expect(packageJson.scripts.build).toBeDefined();
    const ci = read('.ci', 'run');
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm run build$/m);
    expect(finalStage.some((line) => /^RUN npm ci --omit=dev\b/.test(line))).toBe(true);
    expect(finalStage.some((line) => /^COPY --from=\S+ \/app\/dist \.\/dist$/.test(line))).toBe(true);
  });

  test('non-root, health check, config volume, port 8080, the package binary as entry point', () => {
    const user = finalStage.find((line) => line.startsWith('USER '))!.slice(5);
    expect(user).not.toMatch(/^(0|root)(:|$)/);
    expect(finalStage.find((line) => line.startsWith('HEALTHCHECK '))).toContain('/healthz');
    expect(finalStage).toContain('EXPOSE 8080');
    expect(finalStage).toContain('VOLUME ["/etc/mail-autoconfig"]');
    expect(dockerEnv(finalStage)).toMatchObject({ MAIL_AUTOCONFIG_CONFIG: '/etc/mail-autoconfig', PORT: '8080' });
    const entrypoint = JSON.parse(finalStage.find((line) => line.startsWith('ENTRYPOINT '))!.slice(11)) as string[];
    expect(entrypoint).toEqual(['node', packageJson.bin['mail-autoconfig']]);
  });

  test('carries no example providers and refuses any mounted in', () => {
    const copied = stages.flat().filter((line) => line.startsWith('COPY ') && !line.includes('--from='));
    for (const line of copied) expect(line.split(/\s+/)).not.toContain('config');
    expect(read('.dockerignore').split('\n')).toContain('config');
    expect(examplesPolicy(dockerEnv(finalStage))).toBe('refuse');
  });

  test('everything it copies exists and is not excluded by .dockerignore', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    const sources = stages
      .flat()
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.slice(5).split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect([source, existsSync(path.join(REPO_ROOT, source))]).toEqual([source, true]);
      expect(ignored).not.toContain(source);
    }
  });
});

describe('docker-compose.yml and the Caddyfile', () => {
  const compose = YAML.parse(read('docker-compose.yml')) as { services: Record<string, any> };
  const server = compose.services['mail-autoconfig'];
  const caddy = compose.services.caddy;
  const caddyfile = read('deploy', 'caddy', 'Caddyfile');
  // The server's environment as Compose hands it over with none of the optional variables set in the shell.
  const serverEnv = Object.fromEntries(
    Object.entries(server.environment as Record<string, string>).map(([name, value]) => [name, value.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]),
  );

  test('the server is reachable only through Caddy, with its config read-only at /etc/mail-autoconfig', async () => {
    expect(server.ports).toBeUndefined();
    // The admin's own directory, not the repository's config/ with the shipped examples.
    const configMount = (server.volumes as string[]).find((volume) => volume.endsWith(':/etc/mail-autoconfig:ro'))!;
    expect(configMount).toBeDefined();
    expect(path.resolve(REPO_ROOT, configMount.split(':')[0]!)).not.toBe(SHIPPED_CONFIG);
    expect(read('docker-compose.yml')).toContain(`${configMount.split(':')[0]}/providers/`);
    expect(server.read_only).toBe(true);
    const settings = await loadSettings(SHIPPED_CONFIG, serverEnv);
    expect(settings.trustProxy).not.toBe(false);
    expect(server.expose).toContain(String(settings.port));
    expect(server.expose).toContain(String(settings.metricsPort));
    expect(settings.metricsHost).toBe('0.0.0.0');
    expect(caddy.ports).toEqual(expect.arrayContaining(['80:80', '443:443']));
    expect(caddy.depends_on['mail-autoconfig'].condition).toBe('service_healthy');
  });

  test('Caddy mounts this Caddyfile and proxies every name to the server over https (on demand) and plain http', () => {
    const mount = (caddy.volumes as string[]).find((volume) => volume.endsWith(':/etc/caddy/Caddyfile:ro'))!;
    expect(path.normalize(mount.split(':')[0]!)).toBe(path.join('deploy', 'caddy', 'Caddyfile'));
    expect(caddyfile).toMatch(/\(mail_autoconfig\) \{\n\treverse_proxy mail-autoconfig:8080\n/);
    // Site blocks after the global options: exactly the catch-all https:// and http://, each proxying.
    const sites = [...caddyfile.matchAll(/^(\S[^\n{]*?)\s*\{\n([\s\S]*?)^\}$/gm)].map((match) => ({ address: match[1]!, body: match[2]! }));
    const proxied = sites.filter((site) => site.body.includes('import mail_autoconfig'));
    expect(proxied.map((site) => site.address).sort()).toEqual(['http://', 'https://']);
    expect(proxied.find((site) => site.address === 'https://')!.body).toMatch(/^\ttls \{\n\t\ton_demand\n\t\}$/m);
  });

  test('on-demand TLS asks the server on its metrics port, which Compose sets and only the network reaches', async () => {
    const settings = await loadSettings(SHIPPED_CONFIG, serverEnv);
    expect(settings.metricsPort).toBeDefined();
    const ask = /^\{\n(?:\t.*\n)*?\ton_demand_tls \{\n\t\task (\S+)\n\t\}\n/m.exec(caddyfile);
    expect(ask?.[1]).toBe(`http://mail-autoconfig:${settings.metricsPort}${TLS_ASK_PATH}`);
    expect(server.ports).toBeUndefined();
  });

  test('the optional PostgreSQL is under the database profile, unpublished, and the server reads its URL from the environment', async () => {
    const postgresService = compose.services.postgres;
    expect(postgresService.profiles).toEqual(['database']);
    expect(postgresService.ports).toBeUndefined();
    expect(postgresService.healthcheck.test).toContain('pg_isready');
    expect(compose.services.caddy.profiles).toBeUndefined();
    expect(server.profiles).toBeUndefined();
    // Passed through from the shell; empty (unset) means the files only.
    expect(server.environment.MAIL_AUTOCONFIG_DATABASE_URL).toBe('${MAIL_AUTOCONFIG_DATABASE_URL:-}');
    expect((await loadSettings(SHIPPED_CONFIG, serverEnv)).database).toBeUndefined();
    const user = postgresService.environment.POSTGRES_USER as string;
    const withDatabase = await loadSettings(SHIPPED_CONFIG, { ...serverEnv, MAIL_AUTOCONFIG_DATABASE_URL: `postgres://${user}:pw@postgres/${postgresService.environment.POSTGRES_DB}` });
    expect(withDatabase.database?.url).toContain('@postgres/');
  });
});
