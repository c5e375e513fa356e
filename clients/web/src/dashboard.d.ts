// Types of the dashboard module (app/src/dashboard/assets/app.js, plain JavaScript served as is).
declare module "*/dashboard/assets/app.js" {
  export function mountDashboard(opts: {
    app: HTMLElement;
    chain: HTMLElement;
    refresh: HTMLElement;
    ready: HTMLElement;
    onInvoke?: (functionId: string, how: "chain" | "fast") => void;
  }): void;
}
