using TeeLauncher.Cli;

return await CommandLineApp.RunAsync(args, CommandConsole.System);
