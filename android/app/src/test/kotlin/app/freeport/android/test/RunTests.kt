package app.freeport.android.test

import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.Result
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener
import kotlin.system.exitProcess

/**
 * The CI build's test entry point (android/ci/build.py runs it; Gradle runs the same classes
 * through its own JUnit runner). Prints one line per test and a closing
 * "N passed, N failed, N skipped" line, and exits non-zero on any failure.
 */
object RunTests {
    @JvmStatic
    fun main(args: Array<String>) {
        val classes = args.map { Class.forName(it) }
        val core = JUnitCore()
        core.addListener(object : RunListener() {
            private var started = 0L
            override fun testStarted(d: Description) {
                started = System.nanoTime()
            }
            override fun testFinished(d: Description) {
                println("[test] ${d.testClass?.simpleName}.${d.methodName} (${(System.nanoTime() - started) / 1_000_000} ms)")
            }
            override fun testFailure(f: Failure) {
                println("[test] FAILED ${f.description.testClass?.simpleName}.${f.description.methodName}: ${f.message}")
                System.out.println(f.trace)
            }
            override fun testIgnored(d: Description) {
                println("[test] skipped ${d.testClass?.simpleName}.${d.methodName}")
            }
        })
        val result: Result = core.run(*classes.toTypedArray())
        val failed = result.failureCount
        val passed = result.runCount - failed - result.assumptionFailureCount
        println("android: $passed passed, $failed failed, ${result.ignoreCount + result.assumptionFailureCount} skipped")
        System.out.flush()
        exitProcess(if (failed == 0 && result.runCount > 0) 0 else 1)
    }
}
